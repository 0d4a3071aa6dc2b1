// The seed sweep `npm test` runs (split over test files so they run in parallel): every seed must pass
// with no invariant, liveness, linearizability or stale-read failure. MRTOM_SIM_SEEDS sets the total
// (default 2000), MRTOM_SIM_SEED_FROM the first seed.
import { expect, it } from 'vitest';
import { replayCommand, runSeed, type SeedResult } from './run-seed.js';

export const SEEDS = Number(process.env.MRTOM_SIM_SEEDS ?? 2000);
export const SEED_FROM = Number(process.env.MRTOM_SIM_SEED_FROM ?? 1);
/** Failures listed in a failing sweep; each line carries its replay command. */
const FAILURES_REPORTED_MAX = 20;
/** Generous per-seed wall-clock budget for the test timeout (a seed takes ~100 ms of CPU on the CI box). */
export const SEED_MS_BUDGET = 1_000;

export function summary(result: SeedResult, options: Parameters<typeof replayCommand>[1] = {}): string {
  const failure = result.failure!;
  return `seed ${result.seed} ${failure.kind}: ${failure.message.split('\n')[0]} — ${replayCommand(result.seed, options)}`;
}

/** Registers a test that runs part `part` (0-based) of `parts` of the sweep. */
export function sweepPart(part: number, parts: number): void {
  const count = Math.ceil(SEEDS / parts);
  const from = SEED_FROM + part * count;
  const to = Math.min(SEED_FROM + SEEDS, from + count);
  it(
    `seeds ${from}..${to - 1}: no invariant, liveness, linearizability or stale-read failure`,
    { timeout: (to - from) * SEED_MS_BUDGET },
    async () => {
      const failed: SeedResult[] = [];
      let completedOps = 0;
      let staleReads = 0;
      for (let seed = from; seed < to; seed += 1) {
        const result = await runSeed(seed);
        completedOps += result.ops.completed;
        staleReads += result.ops.staleReads;
        if (!result.ok) failed.push(result);
      }
      // A sweep in which nothing completes would pass vacuously.
      expect(completedOps).toBeGreaterThan((to - from) * 10);
      expect(staleReads).toBeGreaterThan(to - from);
      expect({ failed: failed.length, first: failed.slice(0, FAILURES_REPORTED_MAX).map((result) => summary(result)) }).toEqual({
        failed: 0,
        first: [],
      });
    },
  );
}
