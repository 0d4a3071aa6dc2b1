// Proves the M3 operations decide inside the replicated apply: CAS preconditions, delete-range paging,
// txn compares and branches at one revision, range reads that see the txn's own writes, and the watch
// history with its compaction window. How: applies ops to a real LevelDB store and reads it back.
import { describe, expect, it } from 'vitest';
import type { KvOp, TxnOp } from '../../../src/store/ops.js';
import { DELETE_RANGE_KEYS_MAX } from '../../../src/store/kv-op.js';
import { bytes, del, opEntry, put, storeHarness } from './fixtures.js';
import type { ReplicaStore } from '../../../src/store/replica-store.js';

const harness = storeHarness();

async function applyAll(store: ReplicaStore, ops: readonly KvOp[]) {
  const start = store.state.meta().appliedSlot;
  const applied = await store.state.applyBatch(ops.map((op, i) => opEntry(start + i + 1, op)));
  return applied.map((entry) => entry.result);
}

const txn = (compare: unknown[], success: TxnOp[], failure: TxnOp[] = []): KvOp => ({
  type: 'txn',
  txn: { compare, success, failure } as never,
});

describe('compare-and-swap', () => {
  it('applies a put or delete only when If-Match / If-None-Match hold, and reports the current modRevision otherwise', async () => {
    const store = await harness.open(await harness.newDir(), 'memory');
    const results = await applyAll(store, [
      { type: 'put', key: 'k', value: bytes('a'), require: { absent: true } },
      { type: 'put', key: 'k', value: bytes('b'), require: { absent: true } },
      { type: 'put', key: 'k', value: bytes('c'), require: { modRevision: 7 } },
      { type: 'put', key: 'k', value: bytes('d'), require: { modRevision: 1 } },
      { type: 'delete', key: 'k', require: { modRevision: 1 } },
      { type: 'delete', key: 'k', require: { modRevision: 2 } },
      { type: 'delete', key: 'k', require: { modRevision: 2 } },
    ]);
    expect(results).toEqual([
      { type: 'put', revision: 1, modRevision: 1 },
      { type: 'precondition_failed', revision: 1, modRevision: 1 },
      { type: 'precondition_failed', revision: 1, modRevision: 1 },
      { type: 'put', revision: 2, modRevision: 2 },
      { type: 'precondition_failed', revision: 2, modRevision: 2 },
      { type: 'delete', revision: 3, deleted: 1 },
      { type: 'precondition_failed', revision: 3, modRevision: null },
    ]);
  });
});

describe('delete-range', () => {
  it('deletes at most DELETE_RANGE_KEYS_MAX keys of the prefix per op, in key order, at one revision', async () => {
    const store = await harness.open(await harness.newDir(), 'memory');
    const keys = Array.from({ length: DELETE_RANGE_KEYS_MAX + 1 }, (_, i) => `p/${String(i).padStart(5, '0')}`);
    await applyAll(store, [...keys.map((key) => put(key, 'v')), put('q', 'keep')]);
    const base = store.state.meta().revision;
    const [first, second, third] = await applyAll(store, [
      { type: 'delete_range', prefix: 'p/' },
      { type: 'delete_range', prefix: 'p/' },
      { type: 'delete_range', prefix: 'p/' },
    ]);
    expect(first).toEqual({ type: 'delete_range', revision: base + 1, deleted: DELETE_RANGE_KEYS_MAX, more: true });
    expect(second).toEqual({ type: 'delete_range', revision: base + 2, deleted: 1, more: false });
    expect(third).toEqual({ type: 'delete_range', revision: base + 2, deleted: 0, more: false });
    expect((await store.reads.readRange({ prefix: '', limit: 10 })).entries.map((e) => e.key)).toEqual(['q']);
  });
});

describe('txn', () => {
  it('runs the success branch when every compare holds, at one revision, each op seeing the ones before it', async () => {
    const store = await harness.open(await harness.newDir(), 'memory');
    await applyAll(store, [put('a/1', 'x'), put('b', 'y')]);
    const [result] = await applyAll(store, [
      txn(
        [
          { key: 'a/1', target: 'version', op: '==', value: 1 },
          { key: 'b', target: 'value', op: '==', value: bytes('y') },
          { key: 'zz', target: 'exists', op: '==', value: false },
        ],
        [
          { type: 'put', key: 'a/2', value: bytes('z') },
          { type: 'delete', key: 'a/1' },
          { type: 'get', key: 'a/2' },
          { type: 'range', query: { prefix: 'a/', limit: 10 } },
        ],
      ),
    ]);
    const a2 = { value: bytes('z'), createRevision: 3, modRevision: 3, version: 1 };
    expect(result).toEqual({
      type: 'txn',
      revision: 3,
      succeeded: true,
      results: [
        { type: 'put', modRevision: 3 },
        { type: 'delete', deleted: 1 },
        { type: 'get', record: a2 },
        { type: 'range', entries: [{ key: 'a/2', record: a2 }], more: false },
      ],
    });
    expect(store.state.meta().revision).toBe(3);
  });

  it('runs the failure branch when a compare fails; a value compare on an absent key fails; reads leave the revision alone', async () => {
    const store = await harness.open(await harness.newDir(), 'memory');
    await applyAll(store, [put('a', 'x')]);
    const [result] = await applyAll(store, [
      txn(
        [{ key: 'missing', target: 'value', op: '!=', value: bytes('q') }],
        [{ type: 'put', key: 'a', value: bytes('no') }],
        [{ type: 'get', key: 'a' }],
      ),
    ]);
    expect(result).toMatchObject({ type: 'txn', revision: 1, succeeded: false, results: [{ type: 'get', record: { modRevision: 1 } }] });
    expect(store.state.meta().revision).toBe(1);
  });

  it('pages a range by `after` and says when more keys follow', async () => {
    const store = await harness.open(await harness.newDir(), 'memory');
    await applyAll(
      store,
      ['k/a', 'k/b', 'k/c', 'l'].map((key) => put(key, key)),
    );
    const [result] = await applyAll(store, [txn([], [{ type: 'range', query: { prefix: 'k/', after: 'k/a', limit: 1 } }])]);
    expect(result).toMatchObject({ type: 'txn', results: [{ type: 'range', entries: [{ key: 'k/b' }], more: true }] });
  });
});

describe('watch history', () => {
  it("records every revision's changes and compacts revisions beyond the window", async () => {
    const windowed = await harness.openWith(await harness.newDir(), { durability: 'memory', eventRetainRevisions: 3 });
    await applyAll(windowed, [put('a', '1'), put('b', '2'), del('a')]);
    await applyAll(windowed, [
      txn(
        [],
        [
          { type: 'put', key: 'c', value: bytes('3') },
          { type: 'delete', key: 'b' },
        ],
      ),
      put('d', '4'),
    ]);
    const { revision, history } = await windowed.reads.readEvents(1, 100);
    expect(revision).toBe(5);
    expect(history.map((item) => item.revision)).toEqual([3, 4, 5]);
    expect(history[1]!.events.map((e) => [e.type, e.key])).toEqual([
      ['put', 'c'],
      ['delete', 'b'],
    ]);
  });
});
