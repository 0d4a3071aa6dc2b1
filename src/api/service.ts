// What the HTTP layer needs from a replica node. The runtime implements it; the API never sees sockets,
// the protocol or the store directly.
import type { KvOp, OpResult } from '../store/ops.js';

export interface NodeHealth {
  /** Replica status is normal and it holds and has applied everything known committed. */
  ready: boolean;
  /** One line per check, for `/readyz?verbose`. */
  checks: { name: string; ok: boolean; detail: string }[];
}

export interface KvService {
  /** Orders `op` through the log and resolves with its result once this replica applied it.
   *  Rejects with a ServiceError (see errors.ts) when it cannot. */
  submit(op: KvOp): Promise<OpResult>;
  health(): NodeHealth;
  /** Largest value (bytes) a PUT of `key` can carry in one datagram. */
  valueBytesMax(key: string, contentType: string | undefined): number;
}
