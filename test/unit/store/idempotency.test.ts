// Proves the Idempotency-Key table: a keyed write applies once however often and by whichever submitter it
// is repeated, another request under the key is refused with nothing applied, keys are forgotten by age
// and by count exactly as documented, and the table survives a restart. How: a real LevelDB store fed
// entries of different clients (a retry through another replica has a new client id and request id).
import { describe, expect, it } from 'vitest';
import { IDEMPOTENCY_KEYS_MAX, IDEMPOTENCY_RETAIN_MS, IdempotencyChanges, IdempotencyTable } from '../../../src/store/idempotency.js';
import { del, opEntry, put, readRecord, storeHarness } from './fixtures.js';

const harness = storeHarness();

describe('Idempotency-Key table', () => {
  it('answers a repeat by another client with the first result and applies nothing again', async () => {
    const store = await harness.open(await harness.newDir(), 'async');
    const applied = await store.state.applyBatch([
      opEntry(1, put('k', 'v1'), { clientId: 1, idempotencyKey: 'order-1' }),
      opEntry(2, put('k', 'v2'), { clientId: 2 }),
    ]);
    const [retry] = await store.state.applyBatch([opEntry(3, put('k', 'v1'), { clientId: 3, idempotencyKey: 'order-1' })]);
    expect(retry?.result).toEqual(applied[0]?.result);
    expect(store.state.meta().revision).toBe(2);
    expect(new TextDecoder().decode((await readRecord(store, 'k'))?.value)).toBe('v2');
  });

  it('refuses another request under a used key, applying nothing, and keeps answering the first', async () => {
    const store = await harness.open(await harness.newDir(), 'async');
    await store.state.applyBatch([opEntry(1, put('k', 'v1'), { clientId: 1, idempotencyKey: 'key' })]);
    const [other] = await store.state.applyBatch([opEntry(2, del('k'), { clientId: 2, idempotencyKey: 'key' })]);
    expect(other?.result).toEqual({ type: 'idempotency_conflict', revision: 1 });
    expect(await readRecord(store, 'k')).not.toBeNull();
    const [repeat] = await store.state.applyBatch([opEntry(3, put('k', 'v1'), { clientId: 3, idempotencyKey: 'key' })]);
    expect(repeat?.result).toEqual({ type: 'put', revision: 1, modRevision: 1 });
  });

  it('remembers keys across a restart', async () => {
    const dir = await harness.newDir();
    const first = await harness.open(dir, 'fsync');
    await first.state.applyBatch([opEntry(1, put('k', 'v'), { clientId: 1, idempotencyKey: 'kept' })], true);
    await first.close();
    const reopened = await harness.open(dir, 'fsync');
    const [retry] = await reopened.state.applyBatch([opEntry(2, put('k', 'v'), { clientId: 2, idempotencyKey: 'kept' })]);
    expect(retry?.result).toEqual({ type: 'put', revision: 1, modRevision: 1 });
    expect(reopened.state.meta().revision).toBe(1);
  });

  it('forgets a key once a key submitted IDEMPOTENCY_RETAIN_MS later arrives, so the request applies anew', async () => {
    const store = await harness.open(await harness.newDir(), 'async');
    await store.state.applyBatch([opEntry(1, put('k', 'v'), { clientId: 1, idempotencyKey: 'old', atMs: 1_000 })]);
    // Just inside the window: still remembered.
    await store.state.applyBatch([opEntry(2, put('x', 'v'), { clientId: 1, idempotencyKey: 'a', atMs: 1_000 + IDEMPOTENCY_RETAIN_MS })]);
    const [inside] = await store.state.applyBatch([opEntry(3, put('k', 'v'), { clientId: 2, idempotencyKey: 'old' })]);
    expect(inside?.result).toEqual({ type: 'put', revision: 1, modRevision: 1 });
    await store.state.applyBatch([opEntry(4, put('x', 'v'), { clientId: 1, idempotencyKey: 'b', atMs: 1_001 + IDEMPOTENCY_RETAIN_MS })]);
    const [after] = await store.state.applyBatch([opEntry(5, put('k', 'v'), { clientId: 2, idempotencyKey: 'old', atMs: 2_000 })]);
    expect(after?.result).toEqual({ type: 'put', revision: 4, modRevision: 4 });
  });
});

describe('IdempotencyChanges', () => {
  const write = (atMs: number) => ({ key: '', fingerprint: new Uint8Array(16), atMs });
  const result = { type: 'put' as const, revision: 1, modRevision: 1 };

  it('keeps at most IDEMPOTENCY_KEYS_MAX keys, forgetting the oldest first, in the batch and in the table', () => {
    const table = new IdempotencyTable();
    const changes = new IdempotencyChanges(table);
    for (let i = 0; i <= IDEMPOTENCY_KEYS_MAX; i++) changes.remember({ ...write(0), key: `k${i}` }, result);
    expect(changes.remembered.size).toBe(IDEMPOTENCY_KEYS_MAX);
    expect(changes.admit({ ...write(0), key: 'k0' }).kind).toBe('new');
    table.commit(changes);
    const next = new IdempotencyChanges(table);
    next.remember({ ...write(0), key: 'last' }, result);
    expect([...next.forgotten.keys()]).toEqual(['k1']);
    table.commit(next);
    expect(table.size).toBe(IDEMPOTENCY_KEYS_MAX);
    expect(table.get('k1')).toBeUndefined();
    expect(table.get('k2')).toBeDefined();
  });

  it('gives a table rebuilt from its rows the same order, clock and counters', () => {
    const table = new IdempotencyTable();
    const changes = new IdempotencyChanges(table);
    changes.remember({ ...write(5), key: 'a' }, result);
    changes.remember({ ...write(3), key: 'b' }, result);
    table.commit(changes);
    const rebuilt = IdempotencyTable.from(table.entries());
    expect([...rebuilt.entries()]).toEqual([...table.entries()]);
    expect([rebuilt.clockMs, rebuilt.counterNext]).toEqual([5, 3]);
  });
});
