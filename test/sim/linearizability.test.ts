// The WGL checker on hand-written histories (linearizable ones, and the classic violations: stale read
// after a completed write, lost write, read of a value never written, a wrong delete result) and on
// fast-check histories generated from a sequential execution, which are linearizable by construction —
// and stop being so when a read is made to return a value nobody wrote.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { History, type HistoryOp, type KvInput, type KvOutput } from './history.js';
import { checkLinearizable } from './linearizability.js';
import type { KeyState } from './kv-model.js';

/** A tiny script language: ops are invoked and completed in the order of the calls. */
class Script {
  readonly history = new History();
  private clock = 0;

  invoke(client: number, key: string, input: KvInput): HistoryOp {
    return this.history.invoke({ client, clientId: client, requestId: this.clock, key, input, invokeMs: this.clock++ });
  }

  ok(op: HistoryOp, output: KvOutput): HistoryOp {
    this.history.complete(op, this.clock++, output);
    return op;
  }

  /** An op invoked and completed with nothing in between. */
  call(client: number, key: string, input: KvInput, output: KvOutput): HistoryOp {
    return this.ok(this.invoke(client, key, input), output);
  }
}

const put = (value: string): KvInput => ({ type: 'put', value });
const get: KvInput = { type: 'get' };
const del: KvInput = { type: 'delete' };
const okPut: KvOutput = { type: 'put' };
const read = (value: string | null): KvOutput => ({ type: 'get', value });
const deleted = (count: 0 | 1): KvOutput => ({ type: 'delete', deleted: count });

describe('checkLinearizable: hand-written histories', () => {
  it('accepts a sequential history that follows the model', () => {
    const s = new Script();
    s.call(1, 'k', get, read(null));
    s.call(1, 'k', put('a'), okPut);
    s.call(2, 'k', get, read('a'));
    s.call(2, 'k', del, deleted(1));
    s.call(1, 'k', del, deleted(0));
    s.call(1, 'k', get, read(null));
    expect(checkLinearizable(s.history.ops)).toEqual({ ok: true });
  });

  it('accepts a read concurrent with a write returning either the old or the new value', () => {
    for (const seen of [null, 'a']) {
      const s = new Script();
      const write = s.invoke(1, 'k', put('a'));
      const r = s.invoke(2, 'k', get);
      s.ok(r, read(seen));
      s.ok(write, okPut);
      expect(checkLinearizable(s.history.ops).ok).toBe(true);
    }
  });

  it('needs backtracking: two concurrent writes whose order only later reads reveal', () => {
    const s = new Script();
    const a = s.invoke(1, 'k', put('a'));
    const b = s.invoke(2, 'k', put('b'));
    s.ok(a, okPut);
    s.ok(b, okPut);
    s.call(3, 'k', get, read('a'));
    expect(checkLinearizable(s.history.ops).ok).toBe(true);
  });

  it('rejects a stale read after a completed write', () => {
    const s = new Script();
    s.call(1, 'k', put('a'), okPut);
    s.call(1, 'k', put('b'), okPut);
    s.call(2, 'k', get, read('a'));
    const result = checkLinearizable(s.history.ops);
    expect(result.ok).toBe(false);
    if (result.ok || result.kind !== 'violation') throw new Error('expected a violation');
    expect(result.key).toBe('k');
    expect(result.longestPrefix.map((op) => op.input)).toEqual([put('a'), put('b')]);
    expect(result.unplaced.map((op) => op.output)).toEqual([read('a')]);
  });

  it('rejects a lost write: a completed put that a later read does not see', () => {
    const s = new Script();
    s.call(1, 'k', put('a'), okPut);
    s.call(2, 'k', get, read(null));
    expect(checkLinearizable(s.history.ops).ok).toBe(false);
  });

  it('rejects a read of a value never written', () => {
    const s = new Script();
    s.call(1, 'k', put('a'), okPut);
    s.call(2, 'k', get, read('zzz'));
    expect(checkLinearizable(s.history.ops).ok).toBe(false);
  });

  it('rejects a delete that reports removing a key that did not exist', () => {
    const s = new Script();
    s.call(1, 'k', del, deleted(1));
    expect(checkLinearizable(s.history.ops).ok).toBe(false);
  });

  it('lets an op with unknown outcome take effect late, or never, but not un-happen', () => {
    const late = new Script();
    late.invoke(1, 'k', put('x')); // never completes
    late.call(2, 'k', get, read(null));
    late.call(2, 'k', get, read('x'));
    expect(checkLinearizable(late.history.ops).ok).toBe(true);

    const never = new Script();
    never.invoke(1, 'k', put('x'));
    never.call(2, 'k', get, read(null));
    expect(checkLinearizable(never.history.ops).ok).toBe(true);

    const undone = new Script();
    undone.invoke(1, 'k', put('x'));
    undone.call(2, 'k', get, read('x'));
    undone.call(2, 'k', get, read(null));
    expect(checkLinearizable(undone.history.ops).ok).toBe(false);
  });

  it('cannot place an unknown op before its invoke', () => {
    const s = new Script();
    s.call(2, 'k', get, read('x'));
    s.invoke(1, 'k', put('x'));
    expect(checkLinearizable(s.history.ops).ok).toBe(false);
  });

  it('checks keys independently and names the key that fails', () => {
    const s = new Script();
    s.call(1, 'a', put('1'), okPut);
    s.call(1, 'b', put('2'), okPut);
    s.call(2, 'a', get, read('1'));
    s.call(2, 'b', get, read('1'));
    const result = checkLinearizable(s.history.ops);
    expect(result.ok === false && result.key).toBe('b');
  });

  it('reports inconclusive rather than passing when the search budget runs out', () => {
    const s = new Script();
    const ops = Array.from({ length: 8 }, (_, i) => s.invoke(i, 'k', put(String(i))));
    for (const op of ops) s.ok(op, okPut);
    s.call(9, 'k', get, read('nope'));
    const result = checkLinearizable(s.history.ops, 50);
    expect(result).toMatchObject({ ok: false, kind: 'inconclusive', key: 'k' });
  });
});

/** One op of a sequential execution: where it took effect, and how far its interval reaches either side. */
interface PlannedOp {
  client: number;
  key: string;
  input: KvInput;
  before: number;
  after: number;
  unknown: boolean;
}

const plannedOps = fc
  .array(
    fc.record({
      client: fc.integer({ min: 0, max: 4 }),
      key: fc.constantFrom('a', 'b'),
      kind: fc.constantFrom<'put' | 'get' | 'delete'>('put', 'get', 'delete'),
      before: fc.integer({ min: 0, max: 4 }),
      after: fc.integer({ min: 0, max: 4 }),
      unknown: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
    }),
    { minLength: 1, maxLength: 40 },
  )
  .map((ops): PlannedOp[] => ops.map((op, i) => ({ ...op, input: op.kind === 'put' ? put(`v${i}`) : op.kind === 'get' ? get : del })));

/**
 * Runs the ops sequentially against the model at effect times 0, 1, 2, ... and wraps each in an interval
 * around its effect time (invokes at x.25 below, completions at y.75 above, so no two events tie). The
 * effect order is a witness that the history is linearizable.
 */
function historyOf(planned: readonly PlannedOp[]): History {
  const state = new Map<string, KeyState>();
  const events: Array<{ time: number; run: (history: History, ops: Map<number, HistoryOp>) => void }> = [];
  planned.forEach((p, i) => {
    const current = state.get(p.key) ?? null;
    let output: KvOutput;
    if (p.input.type === 'put') {
      state.set(p.key, p.input.value);
      output = okPut;
    } else if (p.input.type === 'delete') {
      state.set(p.key, null);
      output = deleted(current === null ? 0 : 1);
    } else {
      output = read(current);
    }
    events.push({
      time: i - p.before - 0.25,
      run: (history, ops) =>
        ops.set(
          i,
          history.invoke({ client: p.client, clientId: p.client, requestId: i, key: p.key, input: p.input, invokeMs: i - p.before - 0.25 }),
        ),
    });
    if (!p.unknown)
      events.push({ time: i + p.after + 0.75, run: (history, ops) => history.complete(ops.get(i)!, i + p.after + 0.75, output) });
  });
  events.sort((x, y) => x.time - y.time);
  const history = new History();
  const ops = new Map<number, HistoryOp>();
  for (const event of events) event.run(history, ops);
  return history;
}

describe('checkLinearizable: generated histories', () => {
  it('accepts every history produced by a sequential execution', () => {
    fc.assert(
      fc.property(plannedOps, (planned) => {
        expect(checkLinearizable(historyOf(planned).ops)).toEqual({ ok: true });
      }),
      { seed: 20_260_101, numRuns: 300 },
    );
  });

  it('rejects such a history once a completed read returns a value never written', () => {
    fc.assert(
      fc.property(plannedOps, fc.nat(), (planned, pick) => {
        const history = historyOf(planned);
        const reads = history.ops.filter((op) => op.input.type === 'get' && op.output !== null);
        fc.pre(reads.length > 0);
        const victim = reads[pick % reads.length]!;
        victim.output = read('never-written');
        expect(checkLinearizable(history.ops).ok).toBe(false);
      }),
      { seed: 20_260_102, numRuns: 300 },
    );
  });
});
