// Proves a (clientId, requestId) is applied at most once, that floors forget cached results, and that a
// request at or below its client's floor is refused. How: real LevelDB store, retries within and across batches.
import { describe, expect, it } from 'vitest';
import { BELOW_FLOOR_REASON } from '../../../src/store/client-table.js';
import { del, dumpDatabase, get, getResult, opEntry, put, storeHarness, readRecord } from './fixtures.js';

const harness = storeHarness();

describe('client table', () => {
  it('applies a duplicate within one batch once and answers the copy with the cached result', async () => {
    const store = await harness.open(await harness.newDir(), 'async');
    const applied = await store.state.applyBatch([
      opEntry(1, put('k', 'v'), { requestId: 10 }),
      opEntry(2, put('k', 'v'), { requestId: 10 }),
    ]);
    expect(applied.map((entry) => entry.result)).toEqual([
      { type: 'put', revision: 1, modRevision: 1 },
      { type: 'put', revision: 1, modRevision: 1 },
    ]);
    expect(store.state.meta()).toMatchObject({ appliedSlot: 2, revision: 1 });
    expect((await readRecord(store, 'k'))?.version).toBe(1);
  });

  it('answers a retry in a later batch from the cache, even after an intervening change', async () => {
    const store = await harness.open(await harness.newDir(), 'async');
    await store.state.applyBatch([opEntry(1, del('k'), { requestId: 4 }), opEntry(2, put('k', 'v'), { requestId: 5 })]);
    // The delete found nothing; replaying it now would delete 'k' and bump the revision.
    const [retry] = await store.state.applyBatch([opEntry(3, del('k'), { requestId: 4 })]);
    expect(retry?.result).toEqual({ type: 'delete', revision: 0, deleted: 0 });
    expect(store.state.meta().revision).toBe(1);
    expect(await readRecord(store, 'k')).not.toBeNull();
  });

  it('keeps request ids of different clients apart', async () => {
    const store = await harness.open(await harness.newDir(), 'async');
    const applied = await store.state.applyBatch([
      opEntry(1, put('k', 'a'), { clientId: 1, requestId: 1 }),
      opEntry(2, put('k', 'b'), { clientId: 2, requestId: 1 }),
    ]);
    expect(applied.map((entry) => entry.result)).toEqual([
      { type: 'put', revision: 1, modRevision: 1 },
      { type: 'put', revision: 2, modRevision: 2 },
    ]);
  });

  it('answers a retried read or failed precondition from the cache, and re-runs only a retried barrier', async () => {
    const store = await harness.open(await harness.newDir(), 'async');
    const applied = await store.state.applyBatch([
      opEntry(1, get('k'), { requestId: 3 }),
      opEntry(2, { type: 'delete', key: 'k', require: { modRevision: 9 } }, { requestId: 5 }),
      opEntry(3, put('k', 'v'), { requestId: 4 }),
      opEntry(4, get('k'), { requestId: 3 }),
      opEntry(5, { type: 'delete', key: 'k', require: { modRevision: 9 } }, { requestId: 5 }),
      opEntry(6, { type: 'barrier' }, { requestId: 6 }),
      opEntry(7, put('j', 'v'), { requestId: 7 }),
      opEntry(8, { type: 'barrier' }, { requestId: 6 }),
    ]);
    expect(applied[0]?.result).toEqual(getResult(0, null));
    expect(applied[3]?.result).toEqual(getResult(0, null));
    expect(applied[1]?.result).toEqual({ type: 'precondition_failed', revision: 0, modRevision: null });
    expect(applied[4]?.result).toEqual({ type: 'precondition_failed', revision: 0, modRevision: null });
    expect(applied[5]?.result).toEqual({ type: 'barrier', revision: 1 });
    expect(applied[7]?.result).toEqual({ type: 'barrier', revision: 2 });
  });

  it('refuses a request at or below the floor and forgets the results the floor covers', async () => {
    const store = await harness.open(await harness.newDir(), 'async');
    await store.state.applyBatch([opEntry(1, put('a', '1'), { requestId: 1 }), opEntry(2, put('b', '2'), { requestId: 2 })]);
    // Request 3 says requests 1 and 2 are done, so their cached results may go.
    await store.state.applyBatch([opEntry(3, put('c', '3'), { requestId: 3, floor: 2 })]);
    const [late, boundary] = await store.state.applyBatch([
      opEntry(4, put('a', 'again'), { requestId: 1 }),
      opEntry(5, put('b', 'again'), { requestId: 2 }),
    ]);
    const refused = { type: 'invalid', revision: 3, reason: BELOW_FLOOR_REASON };
    expect(late?.result).toEqual(refused);
    expect(boundary?.result).toEqual(refused);
    expect(store.state.meta()).toMatchObject({ appliedSlot: 5, revision: 3 });
    expect((await readRecord(store, 'a'))?.version).toBe(1);
  });

  it('applies the floor a request carries before judging the request itself', async () => {
    const store = await harness.open(await harness.newDir(), 'async');
    const [self] = await store.state.applyBatch([opEntry(1, put('k', 'v'), { requestId: 5, floor: 5 })]);
    expect(self?.result).toEqual({ type: 'invalid', revision: 0, reason: BELOW_FLOOR_REASON });
    expect(await readRecord(store, 'k')).toBeNull();
  });

  it('never lowers a floor', async () => {
    const store = await harness.open(await harness.newDir(), 'async');
    await store.state.applyBatch([opEntry(1, put('k', 'v'), { requestId: 9, floor: 8 })]);
    const [older] = await store.state.applyBatch([opEntry(2, put('k', 'w'), { requestId: 7, floor: 0 })]);
    expect(older?.result).toMatchObject({ type: 'invalid', reason: BELOW_FLOOR_REASON });
  });

  it('keeps one record per client, its cached results inside, and answers retries from it after a restart', async () => {
    const dir = await harness.newDir();
    const store = await harness.open(dir, 'fsync');
    const entries = [1, 2, 3, 4].map((requestId) => opEntry(requestId, put(`k${requestId}`, 'v'), { clientId: 1, requestId }));
    await store.state.applyBatch([...entries, opEntry(5, put('k', 'v'), { clientId: 2, requestId: 1 })]);
    await store.close();
    // keys.ts: c<clientId u32>, one per client however many requests it has cached.
    expect((await dumpDatabase(dir)).filter(([key]) => key.startsWith('63')).map(([key]) => key)).toEqual(['6300000001', '6300000002']);
    const reopened = await harness.open(dir, 'fsync');
    const [retry] = await reopened.state.applyBatch([opEntry(6, put('k3', 'other'), { clientId: 1, requestId: 3 })]);
    expect(retry?.result).toEqual({ type: 'put', revision: 3, modRevision: 3 });
  });
});
