// Proves what survives a close and reopen: meta, kv, client table and the persisted-but-unapplied log
// (fsync and async), while 'memory' persists no log. How: real LevelDB folders reopened by a new KvStore.
import { describe, expect, it } from 'vitest';
import type { Durability } from '../../../src/config/cluster.js';
import { bytes, logKeys, opEntry, put, storeHarness } from './fixtures.js';

const harness = storeHarness();

describe.each<Durability>(['fsync', 'async'])('restart with durability %s', (durability) => {
  it('keeps meta, kv, the client table and the unapplied log', async () => {
    const dir = await harness.newDir();
    const before = await harness.open(dir, durability);
    const entries = [1, 2, 3, 4].map((seq) => opEntry(seq, put(`k${seq}`, `v${seq}`), { view: 2 }));
    await before.persistLog(entries);
    await before.saveView(2, 1);
    await before.applyBatch(entries.slice(0, 2));
    await before.close();

    const after = await harness.open(dir, durability);
    expect(after.meta()).toEqual({ session: 1, appliedSeq: 2, view: 2, revision: 2 });
    expect(await after.read('k2')).toEqual({ value: bytes('v2'), createRevision: 2, modRevision: 2, version: 1 });
    expect(await after.read('k3')).toBeNull();
    expect(await after.loadLog()).toEqual(entries.slice(2));
    // The client table came back: a retry of applied request 2 is answered from the cache, not re-applied.
    const applied = await after.applyBatch([...entries.slice(2), opEntry(5, put('k2', 'again'), { requestId: 2 })]);
    expect(applied[2]?.result).toEqual({ type: 'put', revision: 2, modRevision: 2 });
    expect(after.meta().revision).toBe(4);
  });
});

describe('restart with durability memory', () => {
  it('persists no log but keeps the applied state', async () => {
    const dir = await harness.newDir();
    const before = await harness.open(dir, 'memory');
    const entries = [opEntry(1, put('a', '1')), opEntry(2, put('b', '2'))];
    await before.persistLog(entries);
    await before.applyBatch(entries.slice(0, 1));
    await before.close();
    expect(await logKeys(dir)).toEqual([]);

    const after = await harness.open(dir, 'memory');
    expect(await after.loadLog()).toEqual([]);
    expect(after.meta()).toEqual({ session: 1, appliedSeq: 1, view: 0, revision: 1 });
    expect((await after.read('a'))?.version).toBe(1);
  });
});

describe('views and sessions', () => {
  it('saveView persists the view; a newer session restarts appliedSeq and is where the log resumes', async () => {
    const dir = await harness.newDir();
    const before = await harness.open(dir, 'fsync');
    await before.applyBatch([opEntry(1, put('a', '1')), opEntry(2, put('b', '2'))]);
    await before.saveView(3, 1);
    expect(before.meta()).toEqual({ session: 1, appliedSeq: 2, view: 3, revision: 2 });
    const next = [opEntry(1, put('c', '3'), { session: 2, requestId: 3 })];
    await before.persistLog(next);
    await before.saveView(4, 2);
    await before.close();

    const after = await harness.open(dir, 'fsync');
    expect(after.meta()).toEqual({ session: 2, appliedSeq: 0, view: 4, revision: 2 });
    expect(await after.loadLog()).toEqual(next);
    await after.applyBatch(next);
    expect(after.meta()).toEqual({ session: 2, appliedSeq: 1, view: 4, revision: 3 });
  });

  it('saveView refuses to go back in view or session', async () => {
    const store = await harness.open(await harness.newDir(), 'async');
    await store.saveView(5, 2);
    await expect(store.saveView(4, 2)).rejects.toThrow(/view must not go back/);
    await expect(store.saveView(5, 1)).rejects.toThrow(/session must not go back/);
    expect(store.meta()).toMatchObject({ view: 5, session: 2 });
  });
});
