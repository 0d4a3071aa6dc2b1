// Proves put/get/delete follow etcd's revision rules and that later entries of a batch see earlier ones.
// How: applies ops to a real LevelDB store and checks every per-entry result and the stored records.
import { describe, expect, it } from 'vitest';
import { bytes, del, get, getResult, opEntry, put, storeHarness, readRecord } from './fixtures.js';

const harness = storeHarness();

describe('revisions', () => {
  it('follow etcd: puts and effective deletes bump the revision, a delete of an absent key does not', async () => {
    const store = await harness.open(await harness.newDir(), 'async');
    const ops = [put('a', 'v1'), put('a', 'v2'), put('b', 'x'), del('a'), del('a'), get('a'), put('a', 'v3', 'text/plain'), get('a')];
    const results = [];
    // One entry per batch here; batching is covered below and by the determinism property.
    for (const [i, op] of ops.entries()) results.push(...(await store.state.applyBatch([opEntry(i + 1, op)])));

    expect(results.map((applied) => applied.result)).toEqual([
      { type: 'put', revision: 1, modRevision: 1 },
      { type: 'put', revision: 2, modRevision: 2 },
      { type: 'put', revision: 3, modRevision: 3 },
      { type: 'delete', revision: 4, deleted: 1 },
      { type: 'delete', revision: 4, deleted: 0 },
      getResult(4, null),
      { type: 'put', revision: 5, modRevision: 5 },
      getResult(5, { value: bytes('v3'), contentType: 'text/plain', createRevision: 5, modRevision: 5, version: 1 }),
    ]);
    expect(store.state.meta()).toEqual({ appliedSlot: 8, session: 1, appliedSeq: 8, revision: 5, compactRevision: 0 });
    expect(await readRecord(store, 'b')).toEqual({ value: bytes('x'), createRevision: 3, modRevision: 3, version: 1 });
  });

  it('keeps createRevision and counts versions across puts, and a put drops an earlier content type', async () => {
    const store = await harness.open(await harness.newDir(), 'async');
    await store.state.applyBatch([opEntry(1, put('k', 'one', 'text/plain')), opEntry(2, put('x', '-')), opEntry(3, put('k', 'two'))]);
    expect(await readRecord(store, 'k')).toEqual({ value: bytes('two'), createRevision: 1, modRevision: 3, version: 2 });
  });

  it('lets later entries of one batch see earlier ones, with one result per entry', async () => {
    const store = await harness.open(await harness.newDir(), 'async');
    const applied = await store.state.applyBatch([
      opEntry(1, put('k', 'one')),
      opEntry(2, get('k')),
      opEntry(3, put('k', 'two')),
      opEntry(4, del('k')),
      opEntry(5, get('k')),
      opEntry(6, put('k', 'three')),
    ]);
    expect(applied.map(({ slot, requestId }) => [slot, requestId])).toEqual([
      [1, 1],
      [2, 2],
      [3, 3],
      [4, 4],
      [5, 5],
      [6, 6],
    ]);
    expect(applied.map((entry) => entry.result)).toEqual([
      { type: 'put', revision: 1, modRevision: 1 },
      getResult(1, { value: bytes('one'), createRevision: 1, modRevision: 1, version: 1 }),
      { type: 'put', revision: 2, modRevision: 2 },
      { type: 'delete', revision: 3, deleted: 1 },
      getResult(3, null),
      { type: 'put', revision: 4, modRevision: 4 },
    ]);
    expect(await readRecord(store, 'k')).toEqual({ value: bytes('three'), createRevision: 4, modRevision: 4, version: 1 });
    expect(store.state.meta().revision).toBe(4);
  });

  it('reads null for a key never written', async () => {
    const store = await harness.open(await harness.newDir(), 'memory');
    expect(await readRecord(store, 'missing')).toBeNull();
  });
});
