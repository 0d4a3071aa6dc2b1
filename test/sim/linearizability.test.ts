// The WGL checker and the key model on hand-written histories (linearizable ones, and the classic
// violations: a stale read after a completed write, a lost write, a read of a value never written, a
// wrong delete or CAS result, revisions that go back) and on fast-check histories generated from a
// sequential execution of the model, which are linearizable by construction — and stop being so when a
// read is made to return a value nobody wrote.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { History, type HistoryOp, type KvInput, type KvOutput } from './history.js';
import { ABSENT, type KeyState, stepKey } from './kv-model.js';
import { checkLinearizable } from './linearizability.js';

/** A tiny script language: ops are invoked and completed in the order of the calls. */
class Script {
  readonly history = new History();
  private clock = 0;

  invoke(client: number, key: string, input: KvInput): HistoryOp {
    return this.history.invoke({ client, node: 1, incarnation: 1, key, input, invokeMs: this.clock++ });
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

const put = (value: string, require?: { absent: true } | { modRevision: number }): KvInput => ({
  type: 'put',
  value,
  ...(require ? { require } : {}),
});
const get: KvInput = { type: 'get' };
const del: KvInput = { type: 'delete' };
const okPut = (modRevision: number): KvOutput => ({ type: 'put', modRevision });
const read = (value: string | null, modRevision: number | null = null): KvOutput => ({ type: 'get', value, modRevision });
const deleted = (count: 0 | 1, revision: number): KvOutput => ({ type: 'delete', deleted: count, revision });
const failed = (modRevision: number | null): KvOutput => ({ type: 'precondition_failed', modRevision });

describe('checkLinearizable: hand-written histories', () => {
  it('accepts a sequential history that follows the model', () => {
    const s = new Script();
    s.call(1, 'k', get, read(null));
    s.call(1, 'k', put('a'), okPut(1));
    s.call(2, 'k', get, read('a', 1));
    s.call(2, 'k', del, deleted(1, 2));
    s.call(1, 'k', del, deleted(0, 2));
    s.call(1, 'k', get, read(null));
    expect(checkLinearizable(s.history.ops)).toEqual({ ok: true });
  });

  it('accepts a read concurrent with a write returning either the old or the new value', () => {
    for (const seen of [read(null), read('a', 1)]) {
      const s = new Script();
      const write = s.invoke(1, 'k', put('a'));
      const r = s.invoke(2, 'k', get);
      s.ok(r, seen);
      s.ok(write, okPut(1));
      expect(checkLinearizable(s.history.ops).ok).toBe(true);
    }
  });

  it('needs backtracking: two concurrent writes whose order only later reads reveal', () => {
    const s = new Script();
    const a = s.invoke(1, 'k', put('a'));
    const b = s.invoke(2, 'k', put('b'));
    s.ok(a, okPut(2));
    s.ok(b, okPut(1));
    s.call(3, 'k', get, read('a', 2));
    expect(checkLinearizable(s.history.ops).ok).toBe(true);
  });

  it('rejects a stale read after a completed write', () => {
    const s = new Script();
    s.call(1, 'k', put('a'), okPut(1));
    s.call(1, 'k', put('b'), okPut(2));
    s.call(2, 'k', get, read('a', 1));
    const result = checkLinearizable(s.history.ops);
    expect(result.ok).toBe(false);
    if (result.ok || result.kind !== 'violation') throw new Error('expected a violation');
    expect(result.key).toBe('k');
    expect(result.longestPrefix.map((op) => op.input)).toEqual([put('a'), put('b')]);
    expect(result.unplaced.map((op) => op.output)).toEqual([read('a', 1)]);
  });

  it('rejects a lost write, a read of a value never written, and a read of the right value at the wrong revision', () => {
    for (const [output, ok] of [
      [read(null), false],
      [read('zzz', 1), false],
      [read('a', 7), false],
      [read('a', 1), true],
    ] as const) {
      const s = new Script();
      s.call(1, 'k', put('a'), okPut(1));
      s.call(2, 'k', get, output);
      expect(checkLinearizable(s.history.ops).ok).toBe(ok);
    }
  });

  it('rejects revisions that go back along the real-time order', () => {
    const s = new Script();
    s.call(1, 'k', put('a'), okPut(5));
    s.call(1, 'k', put('b'), okPut(3));
    expect(checkLinearizable(s.history.ops).ok).toBe(false);
  });

  it('rejects a delete that reports removing a key that did not exist', () => {
    const s = new Script();
    s.call(1, 'k', del, deleted(1, 1));
    expect(checkLinearizable(s.history.ops).ok).toBe(false);
  });

  it('checks CAS: If-None-Match and If-Match succeed exactly when the key is absent or at the revision', () => {
    const good = new Script();
    good.call(1, 'k', put('a', { absent: true }), okPut(1));
    good.call(2, 'k', put('b', { absent: true }), failed(1));
    good.call(2, 'k', put('b', { modRevision: 1 }), okPut(2));
    good.call(1, 'k', put('c', { modRevision: 1 }), failed(2));
    good.call(1, 'k', get, read('b', 2));
    expect(checkLinearizable(good.history.ops)).toEqual({ ok: true });

    const twice = new Script(); // Both creates cannot succeed.
    twice.call(1, 'k', put('a', { absent: true }), okPut(1));
    twice.call(2, 'k', put('b', { absent: true }), okPut(2));
    expect(checkLinearizable(twice.history.ops).ok).toBe(false);

    const stale = new Script(); // A failure must name the key's current revision.
    stale.call(1, 'k', put('a'), okPut(1));
    stale.call(2, 'k', put('b', { modRevision: 9 }), failed(4));
    expect(checkLinearizable(stale.history.ops).ok).toBe(false);
  });

  it('follows both futures of a CAS whose outcome is unknown on a revision nobody saw', () => {
    for (const [last, ok] of [
      [read('b', 7), true],
      [read('a', 3), true],
      [read('c', 8), false],
    ] as const) {
      const s = new Script();
      s.invoke(1, 'k', put('a')); // Outcome unknown: the key's revision is unknown from here.
      s.invoke(2, 'k', put('b', { modRevision: 3 })); // May or may not apply, depending on that revision.
      s.call(3, 'k', get, last);
      expect(checkLinearizable(s.history.ops).ok).toBe(ok);
    }
  });

  it('checks a transaction against the value it compares', () => {
    const s = new Script();
    s.call(1, 'k', { type: 'txn', ifValue: null, value: 'a' }, { type: 'txn', succeeded: true, modRevision: 1 });
    s.call(1, 'k', { type: 'txn', ifValue: null, value: 'b' }, { type: 'txn', succeeded: false, value: 'a', modRevision: 1 });
    s.call(1, 'k', { type: 'txn', ifValue: 'a', value: 'c' }, { type: 'txn', succeeded: true, modRevision: 2 });
    expect(checkLinearizable(s.history.ops)).toEqual({ ok: true });
    s.call(2, 'k', { type: 'txn', ifValue: 'a', value: 'd' }, { type: 'txn', succeeded: true, modRevision: 3 });
    expect(checkLinearizable(s.history.ops).ok).toBe(false);
  });

  it('lets a lease revoke delete the key at the instant it took effect', () => {
    const s = new Script();
    s.call(1, 'k', put('a'), okPut(1));
    s.history.pointOp('k', { type: 'revoke', lease: 1 }, { type: 'revoked' }, 10, s.history.mark());
    s.history.mark();
    s.call(2, 'k', get, read(null));
    expect(checkLinearizable(s.history.ops)).toEqual({ ok: true });
    s.call(2, 'k', get, read('a', 1));
    expect(checkLinearizable(s.history.ops).ok).toBe(false);
  });

  it('lets an op with unknown outcome take effect late, or never, but not un-happen', () => {
    const late = new Script();
    late.invoke(1, 'k', put('x'));
    late.call(2, 'k', get, read(null));
    late.call(2, 'k', get, read('x', 4));
    expect(checkLinearizable(late.history.ops).ok).toBe(true);

    const undone = new Script();
    undone.invoke(1, 'k', put('x'));
    undone.call(2, 'k', get, read('x', 4));
    undone.call(2, 'k', get, read(null));
    expect(checkLinearizable(undone.history.ops).ok).toBe(false);
  });

  it('cannot place an unknown op before its invoke', () => {
    const s = new Script();
    s.call(2, 'k', get, read('x', 1));
    s.invoke(1, 'k', put('x'));
    expect(checkLinearizable(s.history.ops).ok).toBe(false);
  });

  it('checks keys independently and names the key that fails', () => {
    const s = new Script();
    s.call(1, 'a', put('1'), okPut(1));
    s.call(1, 'b', put('2'), okPut(2));
    s.call(2, 'a', get, read('1', 1));
    s.call(2, 'b', get, read('1', 1));
    const result = checkLinearizable(s.history.ops);
    expect(result.ok === false && result.key).toBe('b');
  });

  it('reports inconclusive rather than passing when the search budget runs out', () => {
    const s = new Script();
    const ops = Array.from({ length: 8 }, (_, i) => s.invoke(i, 'k', put(String(i))));
    ops.forEach((op, i) => s.ok(op, okPut(i + 1)));
    s.call(9, 'k', get, read('nope', 1));
    const result = checkLinearizable(s.history.ops, 50);
    expect(result).toMatchObject({ ok: false, kind: 'inconclusive', key: 'k' });
  });
});

/** One op of a sequential execution: where it took effect, and how far its interval reaches either side. */
interface PlannedOp {
  client: number;
  key: string;
  kind: 'put' | 'create' | 'cas' | 'get' | 'delete' | 'txn';
  before: number;
  after: number;
  unknown: boolean;
}

const plannedOps = fc.array(
  fc.record({
    client: fc.integer({ min: 0, max: 4 }),
    key: fc.constantFrom('a', 'b'),
    kind: fc.constantFrom<PlannedOp['kind']>('put', 'create', 'cas', 'get', 'delete', 'txn'),
    before: fc.integer({ min: 0, max: 4 }),
    after: fc.integer({ min: 0, max: 4 }),
    unknown: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
  }),
  { minLength: 1, maxLength: 40 },
);

/**
 * Runs the ops sequentially at effect times 0, 1, 2, ... — as a store would, with one global revision —
 * and wraps each in an interval around its effect time (invokes at x.25 below, completions at y.75 above,
 * so no two events tie). The effect order is a witness that the history is linearizable.
 */
function historyOf(planned: readonly PlannedOp[]): History {
  const state = new Map<string, { value: string | null; modRevision: number | null }>();
  let revision = 0;
  const events: Array<{ time: number; run: (history: History, ops: Map<number, HistoryOp>) => void }> = [];
  planned.forEach((p, i) => {
    const current = state.get(p.key) ?? { value: null, modRevision: null };
    const write = (value: string): number => {
      state.set(p.key, { value, modRevision: ++revision });
      return revision;
    };
    let input: KvInput;
    let output: KvOutput;
    switch (p.kind) {
      case 'put':
        input = put(`v${i}`);
        output = okPut(write(`v${i}`));
        break;
      case 'create':
        input = put(`v${i}`, { absent: true });
        output = current.value === null ? okPut(write(`v${i}`)) : failed(current.modRevision);
        break;
      case 'cas': {
        const required = (current.modRevision ?? 1) + (i % 3 === 0 ? 1 : 0);
        input = put(`v${i}`, { modRevision: required });
        output = current.value !== null && current.modRevision === required ? okPut(write(`v${i}`)) : failed(current.modRevision);
        break;
      }
      case 'get':
        input = get;
        output = read(current.value, current.modRevision);
        break;
      case 'delete':
        input = del;
        if (current.value === null) output = deleted(0, revision);
        else {
          state.set(p.key, { value: null, modRevision: null });
          output = deleted(1, ++revision);
        }
        break;
      case 'txn': {
        const ifValue = i % 2 === 0 ? null : current.value;
        input = { type: 'txn', ifValue, value: `v${i}` };
        output =
          current.value === ifValue
            ? { type: 'txn', succeeded: true, modRevision: write(`v${i}`) }
            : { type: 'txn', succeeded: false, ...current };
        break;
      }
    }
    const invokeMs = i - p.before - 0.25;
    events.push({
      time: invokeMs,
      run: (history, ops) => ops.set(i, history.invoke({ client: p.client, node: 1, incarnation: 1, key: p.key, input, invokeMs })),
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
        victim.output = read('never-written', 1);
        expect(checkLinearizable(history.ops).ok).toBe(false);
      }),
      { seed: 20_260_102, numRuns: 300 },
    );
  });
});

describe('stepKey', () => {
  it('is deterministic where the state decides, and branches only on an unknown revision', () => {
    const known: KeyState = { value: 'a', modRevision: 3 };
    const unknown: KeyState = { value: 'a', modRevision: undefined };
    expect(stepKey(known, put('b', { modRevision: 3 }), null)).toEqual([{ value: 'b', modRevision: undefined }]);
    expect(stepKey(known, put('b', { modRevision: 4 }), null)).toEqual([known]);
    expect(stepKey(unknown, put('b', { modRevision: 3 }), null)).toEqual([unknown, { value: 'b', modRevision: undefined }]);
    expect(stepKey(ABSENT, put('b', { modRevision: 3 }), null)).toEqual([ABSENT]);
  });
});
