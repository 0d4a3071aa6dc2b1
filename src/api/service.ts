// What the HTTP layer needs from a replica node. The runtime implements it; the API never sees sockets
// or the protocol, and reads the store only through LocalReads.
import type { LocalReads as StoreReads } from '../store/local-reads.js';
import type { KvOp, OpResult } from '../store/ops.js';

export interface NodeHealth {
  /** Replica status is normal and it holds and has applied everything known committed. */
  ready: boolean;
  /** One line per check, for `/readyz?verbose`. */
  checks: { name: string; ok: boolean; detail: string }[];
}

/** Reads of this replica's applied state, each at one store revision it returns; possibly stale. */
export type LocalReads = Pick<
  StoreReads,
  'readKey' | 'readKeyAt' | 'readRange' | 'readRangeAt' | 'readEvents' | 'readLeasePage' | 'readLease'
>;

export interface PeerStatus {
  id: number;
  url: string;
  ready: boolean;
  detail: string;
}

export interface NodeStatus {
  id: number;
  status: string;
  view: number;
  session: number;
  sequencerId: number;
  commitSlot: number;
  appliedSlot: number;
  revision: number;
  peers: PeerStatus[];
}

export interface KvService {
  /** Orders `op` through the log and resolves with its result once this replica applied it.
   *  Rejects with a ServiceError (see errors.ts) when it cannot. Under an `idempotencyKey`, a repeat of
   *  the op (through any replica) resolves with the first result; another op under the key, with an
   *  `idempotency_conflict` result (src/store/idempotency.ts). */
  submit(op: KvOp, idempotencyKey?: string): Promise<OpResult>;
  /** Resolves once this replica has applied every operation committed before the call, so a local read
   *  after it is linearizable. Concurrent callers share one barrier op in the log. */
  barrier(): Promise<void>;
  readonly local: LocalReads;
  /** Time left before the leader revokes `lease`, on the leader's clock (src/runtime/lease-expiry.ts); a
   *  follower asks the leader. Null when the leader counts no deadline for it or does not answer in time. */
  leaseRemainingMs(lease: number): Promise<number | null>;
  /** Calls `listener` after every apply batch of this replica; returns the unsubscribe function. */
  onApplied(listener: () => void): () => void;
  health(): NodeHealth;
  status(): Promise<NodeStatus>;
}
