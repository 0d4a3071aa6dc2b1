// The contract of the replica state machine (docs/design.md §3): what goes in, what comes out, and the soft
// state a runtime may read. One host (src/runtime/replica-host.ts) drives it, in production and in the
// simulator alike; docs/protocol.md ("The runtime contract") explains the order effects are performed in.
import type { LogEntry } from './log-entry.js';
import type { ViewState } from './view-state.js';

export type { LogEntry, ViewState };

/** Who sent a datagram, as the runtime knows it from the source address; unknown sources are dropped
 *  by the runtime before they reach the state machine. */
export type Peer = { sequencer: number } | { replica: number };

export type ReplicaStatus = 'normal' | 'view-change' | 'recovering';

export type ReplicaInput =
  | { kind: 'datagram'; from: Peer; bytes: Uint8Array; nowMs: number }
  /** Every log entry with slot ≤ throughSlot handed out in `persist-log` effects of this `epoch` is
   *  durable now. A truncation starts a new epoch, so a late confirmation of a discarded tail is ignored. */
  | { kind: 'persisted'; throughSlot: number; epoch: number }
  /** End of a burst of inputs: send the coalesced ACK, if one is due. */
  | { kind: 'flush'; nowMs: number }
  | { kind: 'tick'; nowMs: number }
  /** The snapshot asked for by `fetch-snapshot` is installed: the store has applied through appliedSlot. */
  | { kind: 'snapshot-installed'; appliedSlot: number; nowMs: number }
  | { kind: 'snapshot-failed'; nowMs: number };

export type ReplicaEffect =
  /** Write log entries (an entry at an existing slot replaces it); confirm with a `persisted` input. */
  | { kind: 'persist-log'; entries: LogEntry[]; epoch: number }
  /** Discard persisted log entries above the slot (an uncommitted tail a view change did not keep). */
  | { kind: 'truncate-log'; afterSlot: number }
  /** Make the view state durable. Every effect after it in the same list waits until it is written. */
  | { kind: 'persist-view'; view: ViewState }
  | { kind: 'send'; to: Peer; bytes: Uint8Array }
  /** Apply committed entries to the state machine, in slot order, exactly once. */
  | { kind: 'apply'; entries: LogEntry[] }
  /** Replace the store's replicated state with a snapshot from `from` (its log no longer reaches back to
   *  what this replica needs); answer with `snapshot-installed` or `snapshot-failed`. */
  | { kind: 'fetch-snapshot'; from: number };

/**
 * What a runtime may know of a replica besides its effects: read-only, a copy taken when asked. Health,
 * status, metrics, logs, the submitter's choice of sequencer and the simulator's trace all read this, never
 * the protocol's own fields.
 */
export interface ReplicaSoftState {
  readonly id: number;
  readonly status: ReplicaStatus;
  readonly view: number;
  readonly session: number;
  /** The sequencer serving the current session: where this node's submitter sends REQUESTs. */
  readonly sequencerId: number;
  readonly sessionBase: number;
  readonly leaderId: number;
  /** Highest slot held with no gap below it. */
  readonly through: number;
  /** Highest slot known committed. */
  readonly commit: number;
  readonly applied: number;
  /** Oldest slot still kept for peers; the durable log need not keep anything below it. */
  readonly logStart: number;
  /** Entries held in memory: the applied window kept for peers and the unapplied tail. */
  readonly logEntries: number;
  /** When the serving sequencer was last heard (the clock of the inputs); -Infinity if never. */
  readonly lastHeardSequencerMs: number;
  /** Normal status in a session, everything known committed applied, everything known to exist held. */
  readonly caughtUp: boolean;
}

/** A replica as the host drives it: inputs in, effects out, soft state and counters on demand. */
export interface ReplicaMachine {
  step(input: ReplicaInput): ReplicaEffect[];
  soft(): ReplicaSoftState;
  counters(): Readonly<ReplicaCounters>;
}

export type ReplicaDropReason =
  | 'short'
  | 'magic'
  | 'version'
  | 'type'
  | 'length'
  | 'range'
  | 'body'
  | 'group'
  | 'sender'
  | 'old-session'
  | 'future-session'
  | 'wrong-view'
  | 'not-normal'
  | 'unexpected-type'
  | 'too-far-ahead'
  | 'unbound'
  | 'stale-incarnation'
  | 'installing-snapshot';

export interface ReplicaCounters {
  appended: number;
  duplicates: number;
  retransmitRequests: number;
  logRequests: number;
  noopsDecided: number;
  viewChanges: number;
  dropped: Partial<Record<ReplicaDropReason, number>>;
}
