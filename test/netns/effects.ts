// Evidence that a scenario's faults were really in force, so a harness that silently injected nothing
// cannot pass: frames lost, blocked, delayed or duplicated as the fault says, and a leader or sequencer
// that a fault should have replaced replaced (a newer view, another serving sequencer).
import type { Roles } from './cluster-view.js';
import type { FaultCounts } from './network-faults.js';

export interface Effects extends FaultCounts {
  duplicatesReceived: number;
  before: Roles | null;
  after: Roles | null;
}

export type EffectCheck = (effects: Effects) => string | null;

export const lostOrdered: EffectCheck = (e) => (e.orderedLost > 0 ? null : 'no ORDERED datagram was lost');
export const delayedFrames: EffectCheck = (e) => (e.framesDelayed > 0 ? null : 'no frame was delayed');
export const duplicatedOrdered: EffectCheck = (e) => (e.duplicatesReceived > 0 ? null : 'no replica received an ORDERED twice');
export const blockedFrames: EffectCheck = (e) => (e.framesBlocked > 0 ? null : 'the partition dropped no frame');

export const newView: EffectCheck = (e) =>
  e.before !== null && e.after !== null && e.after.view > e.before.view
    ? null
    : `no view change (view ${e.before?.view} → ${e.after?.view})`;

/** A new session: the sequencer was replaced (or a view changed). Sessions only grow, unlike the sequencer
 *  id, which two replacements in a row bring back to the first one. */
export const newSession: EffectCheck = (e) =>
  e.before !== null && e.after !== null && e.after.session > e.before.session
    ? null
    : `no new session (session ${e.before?.session} → ${e.after?.session})`;

export function allOf(...checks: EffectCheck[]): EffectCheck {
  return (effects) =>
    checks
      .map((check) => check(effects))
      .filter((problem) => problem !== null)
      .join('; ') || null;
}
