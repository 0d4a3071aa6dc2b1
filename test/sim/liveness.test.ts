// The liveness check on synthetic histories: an op finished in time passes, an op stuck or finished late
// after the faults ended fails with its description, and an op abandoned while faults were on is excused.
import { describe, expect, it } from 'vitest';
import { History } from './history.js';
import { checkLiveness } from './liveness.js';

const BOUNDS = { quietStartMs: 1000, livenessBoundMs: 500, endMs: 3000, laggingReplicas: [] as string[], refusalsMs: [] as number[] };

function historyWith(build: (history: History) => void): History {
  const history = new History();
  build(history);
  return history;
}

const get = { type: 'get' } as const;
const fields = (invokeMs: number) => ({ client: 0, node: 1, incarnation: 1, key: 'k', input: get, invokeMs });
const none = { type: 'get' as const, value: null, modRevision: null };

describe('checkLiveness', () => {
  it('passes ops that complete within the bound of the quiet start or of their invoke', () => {
    const history = historyWith((h) => {
      h.complete(h.invoke(fields(100)), 1499, none);
      h.complete(h.invoke(fields(2000)), 2499, none);
    });
    expect(checkLiveness({ ...BOUNDS, ops: history.ops })).toBeNull();
  });

  it('excuses an op abandoned in time, and ignores ops whose due time is past the end of the run', () => {
    const history = historyWith((h) => {
      h.abandon(h.invoke(fields(100)), 900);
      h.invoke(fields(2800));
    });
    expect(checkLiveness({ ...BOUNDS, ops: history.ops })).toBeNull();
  });

  it('reports an op that never completed after the faults ended', () => {
    const history = historyWith((h) => void h.invoke(fields(1200)));
    expect(checkLiveness({ ...BOUNDS, ops: history.ops })).toMatch(
      /op stuck .* #0 client 0 get\(k\) → unknown .* due by 1700.0 ms but never completed/,
    );
  });

  it('reports an op that completed only after its due time, or was abandoned after it', () => {
    const late = historyWith((h) => h.complete(h.invoke(fields(100)), 1600, none));
    expect(checkLiveness({ ...BOUNDS, ops: late.ops })).toMatch(/completed only at 1600.0 ms/);
    const abandoned = historyWith((h) => h.abandon(h.invoke(fields(1100)), 1700));
    expect(checkLiveness({ ...BOUNDS, ops: abandoned.ops })).toMatch(/abandoned at 1700.0 ms/);
  });

  it('reports replicas that did not catch up', () => {
    expect(checkLiveness({ ...BOUNDS, ops: [], laggingReplicas: ['r3 applied 2 of 9'] })).toMatch(/did not catch up.*r3 applied 2 of 9/);
  });

  it('reports a node that still refused ops (503) past the bound, and excuses refusals before it', () => {
    expect(checkLiveness({ ...BOUNDS, ops: [], refusalsMs: [900, 1400] })).toBeNull();
    expect(checkLiveness({ ...BOUNDS, ops: [], refusalsMs: [1600] })).toMatch(/still refused an op \(503\) at 1600.0 ms/);
  });
});
