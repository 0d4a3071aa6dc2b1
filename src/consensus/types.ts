// The contract of the replica state machine (docs/design.md §3): what goes in, what comes out. The runtime
// (src/runtime/replica-driver.ts) and the simulator (test/sim) both drive replicas through exactly this.
import type { LogEntry } from '../store/log-entry.js';
import type { ViewState } from '../store/view-state.js';

export type { ViewState };

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
