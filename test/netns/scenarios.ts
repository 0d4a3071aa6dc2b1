// The scenarios: one per fault kind of the issue (M6), each a seeded schedule of faults in a short form
// (npm test: one fault window of a few seconds) and a long one (npm run test:faults: several windows of
// random length, targets and rates). Windows are timed from the workload's start; every fault ends
// (heals) before the schedule does, so recovery is measured from the last heal.
import type { Prng } from '../sim/prng.js';
import type { Fault, ScheduledFault, Target } from './faults.js';
import { CALM, type LinkConditions } from './netfilter.js';
import { allOf, blockedFrames, delayedFrames, duplicatedOrdered, lostOrdered, newSession, newView, type EffectCheck } from './effects.js';

export type Mode = 'short' | 'long';

export interface Scenario {
  name: string;
  summary: string;
  schedule(prng: Prng, mode: Mode): ScheduledFault[];
  /** What must have happened if the faults were in force (effects.ts); absent: nothing certain. */
  effect?: (mode: Mode) => EffectCheck;
}

/** The short form's single window: after a moment of calm, long enough for every failure timeout. */
const SHORT_START_MS = 600;
const SHORT_FAULT_MS = 2_500;
/** Longer than the replicas' leader timeout (1.5 s) plus a view change's (2 s): a real zombie. */
const PAUSE_MS = 4_000;

/** A fault that needs a fresh random draw per window (rates, targets). */
type FaultMaker = (prng: Prng) => Fault;

/** Short: one window. Long: 2 to 4 windows of 2 to 6 s with 1 to 3 s of calm between them (a round of
 *  about half a minute, so a 10-minute run gets through every scenario). */
function windows(prng: Prng, mode: Mode, make: FaultMaker, shortMs = SHORT_FAULT_MS): ScheduledFault[] {
  if (mode === 'short') return [{ atMs: SHORT_START_MS, durationMs: shortMs, fault: make(prng) }];
  const schedule: ScheduledFault[] = [];
  let atMs = prng.int(500, 2_000);
  for (let i = prng.int(2, 4); i > 0; i--) {
    const durationMs = Math.max(shortMs, prng.int(2_000, 6_000));
    schedule.push({ atMs, durationMs, fault: make(prng) });
    atMs += durationMs + prng.int(1_000, 3_000);
  }
  return schedule;
}

const link = (conditions: Partial<LinkConditions>): Fault => ({ kind: 'link', link: { ...CALM, ...conditions } });

function lossScenario(percent: number): Scenario {
  return {
    name: `loss-${percent}`,
    summary: `${percent}% of frames lost on every member's link`,
    schedule: (prng, mode) => windows(prng, mode, () => link({ lossRate: percent / 100 })),
    effect: () => lostOrdered,
  };
}

const ROLES: readonly Target[] = ['leader', 'follower', 'serving-sequencer'];

export const SCENARIOS: readonly Scenario[] = [
  lossScenario(1),
  lossScenario(5),
  lossScenario(20),
  {
    name: 'delay',
    summary: 'every frame delayed, with jitter (which also reorders)',
    schedule: (prng, mode) =>
      windows(prng, mode, (p) => {
        const delayMs = mode === 'short' ? 20 : p.int(5, 60);
        return link({ delayMs, jitterMs: Math.round(delayMs / 2) });
      }),
    effect: () => delayedFrames,
  },
  {
    name: 'reorder',
    summary: "a share of frames overtakes the delayed rest (netem's reorder)",
    schedule: (prng, mode) => windows(prng, mode, (p) => link({ delayMs: 15, reorderRate: mode === 'short' ? 0.25 : p.between(0.1, 0.5) })),
    effect: () => delayedFrames,
  },
  {
    name: 'duplicate',
    summary: 'frames delivered twice',
    schedule: (prng, mode) => windows(prng, mode, (p) => link({ duplicateRate: mode === 'short' ? 0.1 : p.between(0.01, 0.3) })),
    effect: () => duplicatedOrdered,
  },
  {
    name: 'isolate-follower',
    summary: 'a follower cut off from every other member',
    schedule: (prng, mode) => windows(prng, mode, () => ({ kind: 'isolate', target: 'follower' })),
    effect: () => blockedFrames,
  },
  {
    name: 'isolate-leader',
    summary: 'the leader cut off from every other member; clients still reach its HTTP',
    schedule: (prng, mode) => windows(prng, mode, () => ({ kind: 'isolate', target: 'leader' })),
    effect: () => allOf(blockedFrames, newView),
  },
  {
    name: 'isolate-sequencer',
    summary: 'the serving sequencer cut off; the leader moves the session to the standby',
    schedule: (prng, mode) => windows(prng, mode, () => ({ kind: 'isolate', target: 'serving-sequencer' })),
    effect: () => allOf(blockedFrames, newSession),
  },
  {
    name: 'one-way',
    summary: 'one direction dropped: nobody hears the target, or it hears nobody',
    schedule: (prng, mode) =>
      windows(prng, mode, (p) =>
        mode === 'short'
          ? { kind: 'one-way', target: 'leader', direction: 'outbound' }
          : { kind: 'one-way', target: p.pick(ROLES), direction: p.chance(0.5) ? 'outbound' : 'inbound' },
      ),
    // In the short form nobody hears the leader, so the others elect a new one.
    effect: (mode) => (mode === 'short' ? allOf(blockedFrames, newView) : blockedFrames),
  },
  {
    name: 'flapping-partition',
    summary: 'a partition that heals and re-forms, around whoever leads at the time',
    schedule: (prng, mode) => {
      const cycles = mode === 'short' ? 2 : prng.int(4, 7);
      const schedule: ScheduledFault[] = [];
      let atMs = SHORT_START_MS;
      for (let i = 0; i < cycles; i++) {
        const durationMs = mode === 'short' ? 1_200 : prng.int(500, 4_000);
        schedule.push({ atMs, durationMs, fault: { kind: 'isolate', target: mode === 'short' ? 'leader' : prng.pick(ROLES) } });
        atMs += durationMs + (mode === 'short' ? 600 : prng.int(200, 2_000));
      }
      return schedule;
    },
    effect: () => blockedFrames,
  },
  {
    name: 'kill-replica',
    summary: 'kill -9 of a replica (the leader in the short form), restarted later',
    schedule: (prng, mode) =>
      windows(prng, mode, (p) => ({ kind: 'kill', targets: [mode === 'short' ? 'leader' : p.chance(0.5) ? 'leader' : 'follower'] })),
    effect: (mode) => (mode === 'short' ? newView : () => null),
  },
  {
    name: 'kill-sequencer',
    summary: 'kill -9 of the serving sequencer, restarted later',
    schedule: (prng, mode) => windows(prng, mode, () => ({ kind: 'kill', targets: ['serving-sequencer'] })),
    effect: () => newSession,
  },
  {
    name: 'kill-leader-and-sequencer',
    summary: 'kill -9 of the leader and the serving sequencer at once',
    schedule: (prng, mode) => windows(prng, mode, () => ({ kind: 'kill', targets: ['leader', 'serving-sequencer'] })),
    effect: () => allOf(newView, newSession),
  },
  {
    name: 'pause-leader',
    summary: 'SIGSTOP of the leader past every failure timeout, then SIGCONT: a zombie that wakes up',
    schedule: (prng, mode) => windows(prng, mode, () => ({ kind: 'pause', target: 'leader' }), PAUSE_MS),
    effect: () => newView,
  },
  {
    name: 'mixed',
    summary: 'random faults of every kind, some overlapping',
    schedule: (prng, mode) => {
      const makers: FaultMaker[] = [
        (p) => link({ lossRate: p.pick([0.01, 0.05, 0.2]) }),
        (p) => link({ delayMs: p.int(5, 40), jitterMs: p.int(0, 20), duplicateRate: p.chance(0.3) ? 0.05 : 0 }),
        (p) => ({ kind: 'isolate', target: p.pick(ROLES) }),
        (p) => ({ kind: 'one-way', target: p.pick(ROLES), direction: p.chance(0.5) ? 'outbound' : 'inbound' }),
        (p) => ({ kind: 'kill', targets: p.chance(0.3) ? ['leader', 'serving-sequencer'] : [p.pick(ROLES)] }),
        (p) => ({ kind: 'pause', target: p.pick(['leader', 'follower'] as const) }),
      ];
      const count = mode === 'short' ? 2 : prng.int(3, 6);
      const schedule: ScheduledFault[] = [];
      let atMs = SHORT_START_MS;
      for (let i = 0; i < count; i++) {
        const durationMs = prng.int(1_500, mode === 'short' ? 2_500 : 5_000);
        schedule.push({ atMs, durationMs, fault: prng.pick(makers)(prng) });
        // Starts before the last one ends half the time: faults overlap.
        atMs += prng.chance(0.5) ? prng.int(300, durationMs) : durationMs + prng.int(500, 2_000);
      }
      return schedule;
    },
  },
];

export function scenarioNamed(name: string): Scenario {
  const found = SCENARIOS.find((s) => s.name === name);
  if (found === undefined) throw new Error(`no scenario ${name}; the scenarios are ${SCENARIOS.map((s) => s.name).join(', ')}`);
  return found;
}
