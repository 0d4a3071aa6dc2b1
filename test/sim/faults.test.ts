// Fault plans must respect the fault model the liveness check relies on: every fault ends by the quiet
// start, no node crashes twice at once, and with async or memory durability at most one replica is
// without its data at a time. Plans are a pure function of the seed.
import { describe, expect, it } from 'vitest';
import type { Durability } from '../../src/config/cluster.js';
import { AMNESIA_RECOVERY_MS, generateFaultPlan, type FaultAction } from './faults.js';
import { Prng } from './prng.js';

const CALM = { lossRate: 0, duplicateRate: 0, latencyMsMin: 0.05, latencyMsMax: 1 };

function plan(seed: number, durability: Durability, replicaIds = [1, 2, 3]) {
  return generateFaultPlan(new Prng(seed), {
    replicaIds,
    sequencerIds: [1, 2],
    durability,
    calm: CALM,
    quietStartMs: 2000,
    gapNoopTimeoutMs: 100,
  });
}

/** Down intervals per node, from crash/restart pairs. */
function downtimes(actions: readonly FaultAction[]): Array<{ node: string; startMs: number; endMs: number }> {
  const open = new Map<string, number>();
  const result: Array<{ node: string; startMs: number; endMs: number }> = [];
  for (const action of actions) {
    if (action.kind === 'crash') {
      expect(open.has(action.node), `${action.node} crashed while down`).toBe(false);
      open.set(action.node, action.atMs);
    } else if (action.kind === 'restart') {
      expect(open.has(action.node), `${action.node} restarted while up`).toBe(true);
      result.push({ node: action.node, startMs: open.get(action.node)!, endMs: action.atMs });
      open.delete(action.node);
    }
  }
  expect([...open.keys()], 'nodes still down at the quiet start').toEqual([]);
  return result;
}

describe('generateFaultPlan', () => {
  it('is a pure function of the seed', () => {
    expect(plan(5, 'fsync')).toEqual(plan(5, 'fsync'));
  });

  it('ends every fault by the quiet start: calm network, healed links, no blackhole, every node up', () => {
    for (let seed = 1; seed <= 300; seed += 1) {
      const { actions, quietStartMs } = plan(seed, seed % 2 === 0 ? 'fsync' : 'memory', seed % 5 === 0 ? [1, 2, 3, 4, 5] : [1, 2, 3]);
      expect(actions.every((action) => action.atMs <= quietStartMs)).toBe(true);
      expect(actions.map((a) => a.atMs)).toEqual([...actions.map((a) => a.atMs)].sort((a, b) => a - b));
      const last = <K extends FaultAction['kind']>(...kinds: K[]) => actions.filter((a) => (kinds as string[]).includes(a.kind)).at(-1);
      const network = last('network');
      if (network?.kind === 'network') expect(network.conditions).toEqual(CALM);
      const cut = new Map<string, number>();
      for (const action of actions) {
        if (action.kind !== 'partition' && action.kind !== 'heal') continue;
        for (const [from, to] of action.links)
          cut.set(`${from}>${to}`, (cut.get(`${from}>${to}`) ?? 0) + (action.kind === 'partition' ? 1 : -1));
      }
      expect([...cut.values()].every((count) => count === 0)).toBe(true);
      expect(last('blackhole', 'blackhole-end')?.kind ?? 'blackhole-end').toBe('blackhole-end');
      downtimes(actions);
    }
  });

  it('with async or memory durability keeps replica crashes apart, so at most one replica is without its data', () => {
    for (const durability of ['async', 'memory'] as const) {
      for (let seed = 1; seed <= 300; seed += 1) {
        const replicaDowntimes = downtimes(plan(seed, durability).actions).filter((d) => d.node.startsWith('r'));
        for (const a of replicaDowntimes) {
          for (const b of replicaDowntimes) {
            if (a.node === b.node) continue; // One replica crashing again is still one replica without its data.
            const apart = b.startMs >= a.endMs + AMNESIA_RECOVERY_MS || a.startMs >= b.endMs + AMNESIA_RECOVERY_MS;
            expect(apart, `seed ${seed}: ${a.node} and ${b.node} crash too close together`).toBe(true);
          }
        }
      }
    }
  });

  it('produces every kind of fault across seeds', () => {
    const kinds = new Set<string>();
    for (let seed = 1; seed <= 200; seed += 1) for (const action of plan(seed, 'fsync').actions) kinds.add(action.kind);
    expect([...kinds].sort()).toEqual(['blackhole', 'blackhole-end', 'crash', 'heal', 'network', 'partition', 'restart']);
  });
});
