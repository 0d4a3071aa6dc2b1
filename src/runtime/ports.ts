// What a replica host needs from the world besides the clock (clock.ts): storage for its log and view
// state, the state machine's store, a network and a source of snapshots. Production passes LevelDB
// (src/store), node:dgram and HTTP; the simulator passes its seeded disk, network and transfers.
import type { LogEntry } from '../consensus/log-entry.js';
import type { Peer } from '../consensus/types.js';
import type { ViewState } from '../consensus/view-state.js';
import type { AppliedEntry, StoreMeta } from '../store/applied.js';
import type { SnapshotRecord } from '../store/snapshot.js';

/** The replica's durable log and view state (src/store/replica-log.ts). Calls are made one at a time, in order. */
export interface LogStorage {
  /** Resolves once the entries are as durable as the durability mode promises. */
  append(entries: readonly LogEntry[]): Promise<void>;
  truncateAfter(slot: number): Promise<void>;
  /** Resolves once the view state is on disk, whatever the durability mode. */
  saveView(view: ViewState): Promise<void>;
  trimBelow(slot: number): Promise<void>;
}

/** The state machine's store (src/store/state-store.ts). Calls are made one at a time, in order. */
export interface AppliedStateStorage {
  /** Resolves once written; with `checkpoint`, once these and every earlier apply are durable: the log
   *  below may go. `onResults` is told the results earlier, once they are known (state-store.ts). */
  applyBatch(entries: readonly LogEntry[], checkpoint: boolean, onResults: (applied: AppliedEntry[]) => void): Promise<AppliedEntry[]>;
  /** Durable when it resolves; `beforeReplace` runs once the install is marked, before anything is replaced. */
  installSnapshot(records: AsyncIterable<SnapshotRecord>, beforeReplace: () => Promise<void>): Promise<StoreMeta>;
}

export interface Network {
  send(to: Peer, bytes: Uint8Array): void;
}

/** A peer's whole state, fetched and checked before anything local is replaced. */
export interface StagedSnapshot {
  records(): AsyncIterable<SnapshotRecord>;
  /** Frees whatever staged it (a temp file); called once, installed or not. */
  discard(): Promise<void>;
}

export interface SnapshotSource {
  /** Rejects if the transfer broke off; nothing local has changed then. */
  fetch(from: number): Promise<StagedSnapshot>;
}
