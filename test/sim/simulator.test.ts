// End to end: thousands of seeded runs of the real replica, sequencer and state machine code under
// faults must show no invariant, liveness or linearizability failure; the same seed must replay exactly;
// and deliberate bugs must be caught within a few seeds, or a green run would prove nothing.
// MRTOM_SIM_SEEDS sets how many seeds the sweep runs (default 2000), MRTOM_SIM_SEED_FROM the first one.
import { describe, expect, it } from 'vitest';
import { replayCommand, runSeed, type SeedResult, type SimBreak } from './run-seed.js';

const SEEDS = Number(process.env.MRTOM_SIM_SEEDS ?? 2000);
const SEED_FROM = Number(process.env.MRTOM_SIM_SEED_FROM ?? 1);
/** A deliberate break must be caught as a safety failure within this many seeds. */
const BITE_SEEDS_MAX = 100;
/** Failures listed in a failing sweep; each line carries its replay command. */
const FAILURES_REPORTED_MAX = 20;
/** Generous per-seed wall-clock budget for the test timeout (a seed takes ~50 ms on the CI box). */
const SEED_MS_BUDGET = 250;

function summary(result: SeedResult, simBreak?: SimBreak): string {
  const failure = result.failure!;
  return `seed ${result.seed} ${failure.kind}: ${failure.message.split('\n')[0]} — ${replayCommand(result.seed, simBreak ? { break: simBreak } : {})}`;
}

/** Invariants, linearizability, or a protocol assertion: the run did something wrong, not just something slow. */
function isSafetyFailure(result: SeedResult): boolean {
  return result.failure !== null && result.failure.kind !== 'liveness';
}

describe('simulator', () => {
  it('replays a seed exactly: same trace, same events, same history', () => {
    for (const seed of [3, 17]) {
      const first = runSeed(seed, { trace: true });
      const second = runSeed(seed, { trace: true });
      expect(second.trace).toEqual(first.trace);
      expect(second.events).toBe(first.events);
      expect(second.ops).toEqual(first.ops);
      expect(first.trace!.length).toBeGreaterThan(100);
    }
  });

  it(`${SEEDS} seeds from ${SEED_FROM}: no invariant, liveness or linearizability failure`, { timeout: SEEDS * SEED_MS_BUDGET }, () => {
    const failed: SeedResult[] = [];
    let completedOps = 0;
    for (let seed = SEED_FROM; seed < SEED_FROM + SEEDS; seed += 1) {
      const result = runSeed(seed);
      completedOps += result.ops.completed;
      if (!result.ok) failed.push(result);
    }
    // A sweep in which nothing completes would pass vacuously.
    expect(completedOps).toBeGreaterThan(SEEDS * 10);
    expect({ failed: failed.length, first: failed.slice(0, FAILURES_REPORTED_MAX).map((result) => summary(result)) }).toEqual({
      failed: 0,
      first: [],
    });
  });

  describe('the checkers catch a deliberate bug', () => {
    const breaks: SimBreak[] = ['tamper-ordered', 'apply-uncommitted', 'leader-noops-held-slot'];
    it.each(breaks)(
      `%s is caught as a safety failure within ${BITE_SEEDS_MAX} seeds`,
      { timeout: 2 * BITE_SEEDS_MAX * SEED_MS_BUDGET },
      (simBreak) => {
        let caught: SeedResult | null = null;
        for (let seed = 1; seed <= BITE_SEEDS_MAX && caught === null; seed += 1) {
          const result = runSeed(seed, { break: simBreak });
          if (result.failure === null || !isSafetyFailure(result)) continue;
          // Only a failure the unbroken protocol does not have on the same seed is the break's doing.
          if (!isSafetyFailure(runSeed(seed))) caught = result;
        }
        expect(caught, `no safety failure in ${BITE_SEEDS_MAX} seeds with ${simBreak}`).not.toBeNull();
        console.log(`${simBreak}: ${summary(caught!, simBreak)}`);
      },
    );
  });
});
