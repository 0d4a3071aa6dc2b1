// Resending stamped copies from the ring (docs/design.md §2 step 2): on timeout to replicas whose cumulative
// ack is behind, and on a replica's RETRANSMIT request. Because acks are cumulative, timeout resend is
// go-back-N from the replica's `through`, with one timestamp per replica instead of one per copy — the
// same O(replicas) state the XDP data plane can keep in a map.
import type { RetransmitBody } from '../mrtom/messages.js';
import { resendTimeoutMs } from '../lib/delay-estimate.js';
import type { SequencerEffect, SequencerState } from './state.js';

/** Copies sent in reply to one RETRANSMIT request; the replica asks again for the rest. */
export const RETRANSMIT_REPLY_COPIES_MAX = 256;

export function serveRetransmit(state: SequencerState, to: number, range: RetransmitBody): SequencerEffect[] {
  const effects: SequencerEffect[] = [];
  const seqFirst = Math.max(range.fromSeq, state.ring.oldestSeq);
  const seqLast = Math.min(range.toSeq, state.seqLast);
  // Bounded by RETRANSMIT_SPAN_MAX, which decodeRetransmitBody enforces on the range.
  for (let seq = seqFirst; seq <= seqLast && effects.length < RETRANSMIT_REPLY_COPIES_MAX; seq += 1) {
    const entry = state.ring.get(seq);
    if (entry !== undefined && !entry.noop) effects.push({ kind: 'send', to, bytes: entry.bytes, fanOut: false });
  }
  state.counters.retransmits += effects.length;
  return effects;
}

/** A replica that answers no resend waits at most this many resend timeouts for the next. */
const RESEND_BACKOFF_FACTOR_MAX = 8;

/** Resends, to each replica behind whose `through` has not advanced (and that got no resend) for its
 *  resend timeout, the copies above its `through` that are older than that timeout. The wait doubles with
 *  each resend the replica leaves unanswered (up to RESEND_BACKOFF_FACTOR_MAX timeouts): a replica cut off
 *  by a partition was otherwise sent up to resendPerTickMax copies every interval; once back, the gaps it
 *  sees in new traffic or heartbeats bring its RETRANSMIT requests at once. */
export function resendOverdue(state: SequencerState, nowMs: number): SequencerEffect[] {
  const { replicaIds, retransmitIntervalMs, retransmitIntervalMsMax, resendPerTickMax } = state.options;
  const effects: SequencerEffect[] = [];
  const rotor = state.resendRotor;
  state.resendRotor = (rotor + 1) % replicaIds.length;
  for (let i = 0; i < replicaIds.length && effects.length < resendPerTickMax; i += 1) {
    const to = replicaIds[(rotor + i) % replicaIds.length] as number;
    const timeoutMs = resendTimeoutMs(state.ackDelays.get(to), retransmitIntervalMs, retransmitIntervalMsMax);
    const backoff = Math.min(2 ** (state.resendsUnanswered.get(to) ?? 0), RESEND_BACKOFF_FACTOR_MAX);
    if (nowMs - (state.resentMs.get(to) ?? -Infinity) < timeoutMs * backoff) continue;
    const sentBefore = effects.length;
    const seqFirst = Math.max((state.throughs.get(to) ?? 0) + 1, state.ring.oldestSeq);
    for (let seq = seqFirst; seq <= state.seqLast && effects.length < resendPerTickMax; seq += 1) {
      const entry = state.ring.get(seq);
      if (entry === undefined) break;
      // Stamp times never decrease along the ring: once a copy is too fresh, all later ones are too.
      if (nowMs - entry.stampedMs < timeoutMs) break;
      if (!entry.noop) effects.push({ kind: 'send', to, bytes: entry.bytes, fanOut: false });
    }
    if (effects.length > sentBefore) {
      state.resentMs.set(to, nowMs);
      state.resendsUnanswered.set(to, (state.resendsUnanswered.get(to) ?? 0) + 1);
    }
  }
  state.counters.retransmits += effects.length;
  return effects;
}
