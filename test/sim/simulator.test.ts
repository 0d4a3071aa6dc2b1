// The simulator itself: the same seed replays exactly, and every deliberate bug (mutations.ts) — each a
// wrapper around one production part — is caught as a safety failure within a few seeds, or a green
// sweep (sweep-*.test.ts) would prove nothing. Each catch prints its seed and the command to replay it.
import { describe, expect, it } from 'vitest';
import { MUTATIONS, type Mutation } from './mutations.js';
import { runSeed, type SeedResult } from './run-seed.js';
import { SEED_MS_BUDGET, summary } from './sweep.js';

/** A deliberate bug must be caught as a safety failure within this many seeds. */
const BITE_SEEDS_MAX = 60;

/** Invariants, linearizability, stale reads, or an exception: the run did something wrong, not just something slow. */
function isSafetyFailure(result: SeedResult): boolean {
  return result.failure !== null && result.failure.kind !== 'liveness';
}

describe('simulator', () => {
  it('replays a seed exactly: same trace, same events, same history', async () => {
    for (const seed of [3, 17]) {
      const first = await runSeed(seed, { trace: true });
      const second = await runSeed(seed, { trace: true });
      expect(second.trace).toEqual(first.trace);
      expect(second.events).toBe(first.events);
      expect(second.ops).toEqual(first.ops);
      expect(first.trace!.length).toBeGreaterThan(100);
    }
  });

  describe('catches every deliberate bug', () => {
    it.each(Object.keys(MUTATIONS) as Mutation[])(
      `%s, within ${BITE_SEEDS_MAX} seeds`,
      { timeout: 2 * BITE_SEEDS_MAX * SEED_MS_BUDGET },
      async (mutation) => {
        let caught: SeedResult | null = null;
        for (let seed = 1; seed <= BITE_SEEDS_MAX && caught === null; seed += 1) {
          const result = await runSeed(seed, { mutation });
          if (!isSafetyFailure(result)) continue;
          // Only a failure the unmutated code does not have on the same seed is the mutation's doing.
          if (!isSafetyFailure(await runSeed(seed))) caught = result;
        }
        expect(caught, `no safety failure in ${BITE_SEEDS_MAX} seeds with ${mutation}`).not.toBeNull();
        console.log(`${mutation}: ${summary(caught!, { mutation })}`);
      },
    );
  });
});
