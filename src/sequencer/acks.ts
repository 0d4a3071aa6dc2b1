// Applying a replica's cumulative ACK (DESIGN.md §2 step 3; research/protocol.md "Implications" items 2-3):
// track each replica's `through` in the newest view, recompute commit, and remember the slots the leader
// filled with NO-OPs so their request copies are never offered again as the slot's content.
import { DecodeError, type Header } from '../mrtom/header.js';
import { decodeAckBody } from '../mrtom/messages.js';
import type { DropReason } from './counters.js';
import type { SequencerState } from './protocol.js';
import { commitPoint, leaderOf } from './quorum.js';

/** Validates and applies an ACK whose sender and session were already checked; returns why it was dropped, if it was. */
export function applyAck(state: SequencerState, from: number, header: Header, body: Uint8Array): DropReason | null {
  if (header.view < state.view) return 'stale-view';
  const through = header.seq;
  if (through > state.seqLast) return 'through-beyond-stamped';
  let noops: number[];
  try {
    noops = decodeAckBody(body).noops;
  } catch (err) {
    if (err instanceof DecodeError) return 'malformed-body';
    throw err;
  }
  // A NO-OP must be covered by the same ack's `through`, or the sequencer could count the slot as held
  // (and commit it) before learning it is not the request.
  if (noops.some((seq) => seq < 1 || seq > through)) return 'malformed-body';

  if (header.view > state.view) adoptView(state, header.view);
  state.throughs.set(from, Math.max(state.throughs.get(from) ?? 0, through));
  // Only the leader decides NO-OPs (gap agreement); a follower's list is not authoritative.
  if (from === leaderOf(state.options.replicaIds, state.view)) {
    for (const seq of noops) {
      const entry = state.ring.get(seq);
      if (entry !== undefined) entry.noop = true;
    }
  }
  // Commit never moves back: a view change preserves the committed prefix even while followers rewind.
  state.commit = Math.max(state.commit, commitPoint(state.throughs, leaderOf(state.options.replicaIds, state.view), state.f));
  return null;
}

/** A view change may rewind followers' logs, so no `through` from an older view can be trusted. */
function adoptView(state: SequencerState, view: number): void {
  state.view = view;
  for (const id of state.throughs.keys()) state.throughs.set(id, 0);
}
