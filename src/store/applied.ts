// What applying committed log entries produces (docs/design.md §4): a result per entry, and the store's meta.
import type { OpResult } from './ops.js';

export interface AppliedEntry {
  slot: number;
  session: number;
  seq: number;
  clientId: number;
  requestId: number;
  result: OpResult;
}

/**
 * `appliedSlot` is the last applied slot and the only applied index; `session` and `appliedSeq` are the
 * (session, seq) of the entry at that slot, kept for information. `revision` is the etcd-style store
 * revision; `compactRevision` the oldest revision reads and watches may still ask for (0: none compacted).
 */
export interface StoreMeta {
  appliedSlot: number;
  session: number;
  appliedSeq: number;
  revision: number;
  compactRevision: number;
}

export const INITIAL_META: Readonly<StoreMeta> = { appliedSlot: 0, session: 0, appliedSeq: 0, revision: 0, compactRevision: 0 };

/** The reason carried by the result of a no-op slot: there is no request to answer, only a slot to pass. */
export const NOOP_REASON = 'no-op';
