// One slot of the replicated log (docs/design.md §3): what the consensus layer persists, ships to peers and
// hands to the state machine once committed. `noop` slots (gap agreement) carry no operation but still
// occupy their slot.

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
