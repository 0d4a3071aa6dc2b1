// Proves writes that ask for it answer with the record they replaced — also when a retry is answered
// from the client table after a restart — that `If-Match: *` (exists) is decided in the apply, and that
// history read with `prev` gives each change the key's record before it, within one revision too.
// How: real LevelDB stores, ops applied through applyBatch, history read back.
import { describe, expect, it } from 'vitest';
import type { KvOp } from '../../../src/store/ops.js';
import { bytes, opEntry, storeHarness } from './fixtures.js';

const harness = storeHarness();

const record = (value: string, createRevision: number, modRevision: number, version: number) => ({
  value: bytes(value),
  createRevision,
  modRevision,
  version,
});

describe('previous records', () => {
  it('answers a put or delete with prev, from the cache too after a restart', async () => {
    const dir = await harness.newDir();
    const store = await harness.open(dir, 'fsync');
    const ops: KvOp[] = [
      { type: 'put', key: 'k', value: bytes('a'), prev: true },
      { type: 'put', key: 'k', value: bytes('b'), prev: true },
      { type: 'delete', key: 'k', prev: true },
      { type: 'delete', key: 'k', prev: true },
    ];
    const applied = await store.state.applyBatch(ops.map((op, i) => opEntry(i + 1, op)));
    const expected = [
      { type: 'put', revision: 1, modRevision: 1, prev: null },
      { type: 'put', revision: 2, modRevision: 2, prev: record('a', 1, 1, 1) },
      { type: 'delete', revision: 3, deleted: 1, prev: record('b', 1, 2, 2) },
      { type: 'delete', revision: 3, deleted: 0, prev: null },
    ];
    expect(applied.map((entry) => entry.result)).toEqual(expected);
    await store.close();
    const reopened = await harness.open(dir, 'fsync');
    const retried = await reopened.state.applyBatch([opEntry(5, ops[1]!, { requestId: 2 })]);
    expect(retried[0]?.result).toEqual(expected[1]);
  });

  it('writes with If-Match: * only when the key exists', async () => {
    const store = await harness.open(await harness.newDir(), 'memory');
    const ops: KvOp[] = [
      { type: 'put', key: 'k', value: bytes('a'), require: { exists: true } },
      { type: 'delete', key: 'k', require: { exists: true } },
      { type: 'put', key: 'k', value: bytes('b') },
      { type: 'put', key: 'k', value: bytes('c'), require: { exists: true } },
      { type: 'delete', key: 'k', require: { exists: true } },
    ];
    const applied = await store.state.applyBatch(ops.map((op, i) => opEntry(i + 1, op)));
    expect(applied.map((entry) => entry.result)).toEqual([
      { type: 'precondition_failed', revision: 0, modRevision: null },
      { type: 'precondition_failed', revision: 0, modRevision: null },
      { type: 'put', revision: 1, modRevision: 1 },
      { type: 'put', revision: 2, modRevision: 2 },
      { type: 'delete', revision: 3, deleted: 1 },
    ]);
  });

  it('gives every change of the history the record before it', async () => {
    const store = await harness.open(await harness.newDir(), 'memory');
    const ops: KvOp[] = [
      { type: 'put', key: 'k', value: bytes('a') },
      {
        type: 'txn',
        txn: {
          compare: [],
          success: [
            { type: 'put', key: 'k', value: bytes('b') },
            { type: 'delete', key: 'k' },
            { type: 'put', key: 'j', value: bytes('c') },
          ],
          failure: [],
        },
      },
    ];
    await store.state.applyBatch(ops.map((op, i) => opEntry(i + 1, op)));
    const { history } = await store.reads.readEvents(1, 10, { prev: true });
    expect(history.map(({ revision, events }) => [revision, events.map((event) => [event.type, event.key, event.prev])])).toEqual([
      [1, [['put', 'k', null]]],
      [
        2,
        [
          ['put', 'k', record('a', 1, 1, 1)],
          ['delete', 'k', record('b', 1, 2, 2)],
          ['put', 'j', null],
        ],
      ],
    ]);
    // Without `prev`, events carry none.
    expect((await store.reads.readEvents(1, 10)).history[1]!.events[0]).not.toHaveProperty('prev');
  });
});
