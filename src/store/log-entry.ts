// The records the state machine consumes and produces (DESIGN.md §4). A LogEntry is one ORDERED slot as
// the consensus layer committed it; `noop` slots (gap agreement) carry no operation but still occupy a seq.
import type { OpResult } from './ops.js';

export interface LogEntry {
  session: number;
  seq: number;
  view: number;
  clientId: number;
  requestId: number;
  body: Uint8Array;
  noop: boolean;
}

export interface AppliedEntry {
  session: number;
  seq: number;
  clientId: number;
  requestId: number;
  result: OpResult;
}

/** `appliedSeq` counts within `session`; `revision` is the etcd-style store revision, global across sessions. */
export interface StoreMeta {
  session: number;
  appliedSeq: number;
  view: number;
  revision: number;
}

export const INITIAL_META: Readonly<StoreMeta> = { session: 0, appliedSeq: 0, view: 0, revision: 0 };

/** The reason carried by the result of a no-op slot: there is no request to answer, only a seq to pass. */
export const NOOP_REASON = 'no-op';
