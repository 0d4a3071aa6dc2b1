// Proves every scenario's schedules are ones the harness can carry out: the same seed gives the same
// schedule (a failing round's replay command means something), every fault lasts and ends, and every
// link fault's conditions are ones the netfilter rules accept. How: many seeds through every scenario.
import { describe, expect, it } from 'vitest';
import { Prng } from '../sim/prng.js';
import { renderIngressRules } from './netfilter.js';
import { SCENARIOS } from './scenarios.js';

const SEEDS = 200;

describe('scenario schedules', () => {
  for (const scenario of SCENARIOS) {
    it(`${scenario.name}: replayable from its seed, every fault ends, every link renders`, () => {
      for (let seed = 1; seed <= SEEDS; seed++) {
        for (const mode of ['short', 'long'] as const) {
          const schedule = scenario.schedule(new Prng(seed), mode);
          expect(scenario.schedule(new Prng(seed), mode)).toEqual(schedule);
          expect(schedule.length).toBeGreaterThan(0);
          for (const { atMs, durationMs, fault } of schedule) {
            expect(atMs).toBeGreaterThanOrEqual(0);
            expect(durationMs).toBeGreaterThan(0);
            if (fault.kind === 'link')
              expect(() => renderIngressRules({ blockedSources: [], sparedSources: [], link: fault.link }, '10.66.1.1')).not.toThrow();
            if (fault.kind === 'kill') expect(fault.targets.length).toBeGreaterThan(0);
          }
        }
      }
    });
  }
});
