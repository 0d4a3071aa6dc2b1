// Proves the lost-write check catches what it is for: an acknowledged put, txn put or delete missing
// from the replicated history, and a write the client was told never happened showing up in it; and
// that writes without a certain outcome, failed CAS and reads demand nothing. How: checkWrites over a
// small history and change log.
import { describe, expect, it } from 'vitest';
import { History, type KvInput, type KvOutput } from '../sim/history.js';
import { checkWrites } from './change-log.js';

function historyOf(ops: Array<[key: string, input: KvInput, output: KvOutput | null]>): History {
  const history = new History();
  ops.forEach(([key, input, output], i) => {
    const op = history.invoke({ client: 1, node: 1, incarnation: 1, key, input, invokeMs: i });
    if (output === null) history.abandon(op, i + 0.5);
    else history.complete(op, i + 0.5, output);
  });
  return history;
}

const history = historyOf([
  ['a', { type: 'put', value: 'c1.1' }, { type: 'put', modRevision: 1 }],
  ['a', { type: 'txn', ifValue: 'c1.1', value: 'c1.2' }, { type: 'txn', succeeded: true, modRevision: 2 }],
  ['a', { type: 'delete' }, { type: 'delete', deleted: 1, revision: 3 }],
  ['b', { type: 'put', value: 'c1.4' }, null],
  ['b', { type: 'put', value: 'c1.5', require: { absent: true } }, { type: 'precondition_failed', modRevision: 4 }],
  ['b', { type: 'get' }, { type: 'get', value: null, modRevision: null }],
]);
const complete = new Set(['put a=c1.1@1', 'put a=c1.2@2', 'delete a@3']);

describe('acknowledged writes against the replicated history', () => {
  it('are all found when nothing was lost, whatever became of the unknown ones', () => {
    expect(checkWrites(history.ops, new Set(), complete)).toEqual([]);
    expect(checkWrites(history.ops, new Set(), new Set([...complete, 'put b=c1.4@4']))).toEqual([]);
  });

  it('name each acknowledged write that is missing', () => {
    for (const missing of complete) {
      const problems = checkWrites(history.ops, new Set(), new Set([...complete].filter((e) => e !== missing)));
      expect(problems).toHaveLength(1);
      expect(problems[0]).toContain(missing);
    }
  });

  it('flag a write refused as never applied that was applied anyway', () => {
    const problems = checkWrites(history.ops, new Set(['b=c1.9']), new Set([...complete, 'put b=c1.9@4']));
    expect(problems).toEqual(['a write refused as not applied was applied: put b=c1.9@4']);
  });
});
