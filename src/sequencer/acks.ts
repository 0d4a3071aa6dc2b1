// Applying a replica's cumulative ACK (docs/design.md §2 step 3; docs/background.md "Implications" items 2-3):
// track each replica's `through` and NO-OP list in the current session, recompute commit under the NO-OP
// agreement rule (quorum.ts), and remember the slots the leader filled with NO-OPs so their request copies
// are never offered again as the slot's content.
import { DecodeError, type Header } from '../mrtom/header.js';
import { decodeNoopsBody } from '../mrtom/messages.js';
import { sampleDelay } from '../lib/delay-estimate.js';
import type { DropReason } from './counters.js';
import type { SequencerState } from './state.js';
import { leaderOf } from '../mrtom/group.js';
import { commitPoint, type ReplicaProgress } from './quorum.js';

/** Validates and applies an ACK whose sender, session and view were already checked; returns why it was dropped, if it was. */
export function applyAck(state: SequencerState, from: number, header: Header, body: Uint8Array, nowMs: number): DropReason | null {
  const through = header.seq;
  if (through > state.seqLast) return 'through-beyond-stamped';
  let noops: number[];
  try {
    noops = decodeNoopsBody(body).noops;
  } catch (err) {
    if (err instanceof DecodeError) return 'malformed-body';
    throw err;
  }
  // A NO-OP must be covered by the same ack's `through`, or the sequencer could count the slot as held
  // (and commit it) before learning it is not the request.
  if (noops.some((seq) => seq < 1 || seq > through)) return 'malformed-body';

  // The list and the through it describes move together. A reordered, older ACK (lower through) keeps
  // neither: its list may lack NO-OPs decided since, and pairing it with the newer through could count a
  // follower's request copy as agreeing with the leader's request at a seq that is really a NO-OP. An ACK
  // at the same through may carry a longer list: a follower that learned the leader's NO-OP replaced its copy.
  if (through >= (state.throughs.get(from) ?? 0)) {
    // A replica whose acks advance is slow, not missing anything: its timeout resend waits another
    // interval. Resending to every replica that is merely a few ms behind floods a busy cluster.
    if (through > (state.throughs.get(from) ?? 0)) noteThroughAdvance(state, from, through, nowMs);
    state.throughs.set(from, through);
    state.noops.set(
      from,
      [...new Set(noops)].sort((a, b) => a - b),
    );
  }
  const leader = leaderOf(state.options.replicaIds, state.view);
  if (from === leader) {
    // Only the leader decides NO-OPs (gap agreement); a follower's list never marks the ring.
    for (const seq of noops) {
      const entry = state.ring.get(seq);
      if (entry !== undefined) entry.noop = true;
    }
  }
  // Commit never moves back within a session: a follower's list may lag the leader's, lowering its count.
  state.commit = Math.max(state.commit, commitPoint(progressOf(state), leader, state.f, state.commit));
  return null;
}

/** Replica `from` now holds every seq <= `through`, more than before: its timeout resend waits another
 *  interval, and the age of the copy it covers is a sample of its ack delay. */
export function noteThroughAdvance(state: SequencerState, from: number, through: number, nowMs: number): void {
  state.resentMs.set(from, nowMs);
  state.resendsUnanswered.delete(from);
  const covered = state.ring.get(through);
  if (covered !== undefined) state.ackDelays.set(from, sampleDelay(state.ackDelays.get(from), nowMs - covered.stampedMs));
}

function progressOf(state: SequencerState): Map<number, ReplicaProgress> {
  return new Map([...state.throughs].map(([id, through]) => [id, { through, noops: state.noops.get(id) ?? [] }]));
}
