// The records the state machine consumes and produces (docs/design.md §4). A LogEntry is one slot of the
// replicated log as the consensus layer committed it; `noop` slots (gap agreement) carry no operation but
// still occupy their slot.
import type { OpResult } from './ops.js';

/**
 * `slot` is the position in the replicated log: continuous from 1 across sequencer sessions, never with
 * holes. (session, seq) is where the sequencer put the entry; a new session starts at seq 1 in the slot
 * right after the previous session's last one.
 */
export interface LogEntry {
  slot: number;
  session: number;
  seq: number;
  view: number;
  clientId: number;
  requestId: number;
  body: Uint8Array;
  noop: boolean;
}

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
 * (session, seq) of the entry at that slot, kept for information. `revision` is the etcd-style store revision.
 */
export interface StoreMeta {
  appliedSlot: number;
  session: number;
  appliedSeq: number;
  revision: number;
}

export const INITIAL_META: Readonly<StoreMeta> = { appliedSlot: 0, session: 0, appliedSeq: 0, revision: 0 };

/** The reason carried by the result of a no-op slot: there is no request to answer, only a slot to pass. */
export const NOOP_REASON = 'no-op';
