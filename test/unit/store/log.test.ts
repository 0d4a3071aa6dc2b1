// Proves the persisted log is keyed by slot: an entry replaces the one at its slot, truncateLog drops the
// unapplied tail but never an applied slot, and retention keeps the last logRetainEntries applied slots
// across sessions. How: real LevelDB, read back through loadLog, raw keys and a reopen.
import { describe, expect, it } from 'vitest';
import { logKey } from '../../../src/store/keys.js';
import { NOOP_REASON } from '../../../src/store/log-entry.js';
import { logKeys, noopEntry, opEntry, put, storeHarness } from './fixtures.js';

const harness = storeHarness();

describe('overwrite by slot', () => {
  it('a NO-OP persisted over an entry replaces it, in loadLog, after reopen and when applied', async () => {
    const dir = await harness.newDir();
    const before = await harness.open(dir, 'fsync');
    const entries = [1, 2, 3].map((slot) => opEntry(slot, put(`k${slot}`, 'v')));
    await before.persistLog(entries);
    await before.persistLog([noopEntry(2)]);
    expect(await before.loadLog()).toEqual([entries[0], noopEntry(2), entries[2]]);
    await before.close();

    const after = await harness.open(dir, 'fsync');
    const log = await after.loadLog();
    expect(log).toEqual([entries[0], noopEntry(2), entries[2]]);
    const applied = await after.applyBatch(log);
    expect(applied[1]?.result).toEqual({ type: 'invalid', revision: 1, reason: NOOP_REASON });
    expect(await after.read('k2')).toBeNull();
  });
});

describe('truncateLog', () => {
  it('removes every entry past afterSlot, keeps the applied prefix, and a reopen shows it', async () => {
    const dir = await harness.newDir();
    const before = await harness.open(dir, 'fsync');
    const build = () => [1, 2, 3, 4, 5].map((slot) => opEntry(slot, put('k', `${slot}`)));
    const entries = build();
    await before.persistLog(entries);
    await before.applyBatch(entries.slice(0, 2));
    await before.truncateLog(3);
    expect(await before.loadLog()).toEqual(build().slice(0, 3));
    // The tail a new view agrees on takes the freed slots.
    const replacement = opEntry(4, put('k', 'new'), { view: 1 });
    await before.persistLog([replacement]);
    await before.close();

    const after = await harness.open(dir, 'fsync');
    expect(await after.loadLog()).toEqual([...build().slice(0, 3), replacement]);
    expect(after.meta().appliedSlot).toBe(2);
  });

  it('may cut exactly at the applied slot, but refuses to cut below it and deletes nothing then', async () => {
    const dir = await harness.newDir();
    const store = await harness.open(dir, 'async');
    const build = () => [1, 2, 3].map((slot) => opEntry(slot, put('k', `${slot}`)));
    const entries = build();
    await store.persistLog(entries);
    await store.applyBatch(entries.slice(0, 2));
    await expect(store.truncateLog(1)).rejects.toThrow(/must not truncate at or below applied slot 2/);
    expect(await store.loadLog()).toEqual(build());
    await store.truncateLog(2);
    expect(await store.loadLog()).toEqual(build().slice(0, 2));
  });

  it('checks the applied slot after the applies issued before it', async () => {
    const store = await harness.open(await harness.newDir(), 'async');
    const entries = [1, 2].map((slot) => opEntry(slot, put('k', `${slot}`)));
    await store.persistLog(entries);
    const applying = store.applyBatch(entries);
    await expect(store.truncateLog(1)).rejects.toThrow(/applied slot 2/);
    await applying;
  });
});

describe('retention', () => {
  it('keeps only the last logRetainEntries applied slots, plus what is not applied yet', async () => {
    const dir = await harness.newDir();
    const store = await harness.open(dir, 'async', 3);
    const entries = Array.from({ length: 10 }, (_, i) => opEntry(i + 1, put('k', `${i}`)));
    await store.persistLog(entries);
    await store.applyBatch(entries.slice(0, 4));
    await store.applyBatch(entries.slice(4, 8));
    await store.close();
    expect(await logKeys(dir)).toEqual([6, 7, 8, 9, 10].map((slot) => logKey(slot)));
  });

  it('counts slots, not sessions: the window reaches back into a finished session', async () => {
    const dir = await harness.newDir();
    const store = await harness.open(dir, 'async', 3);
    const old = [1, 2, 3, 4].map((slot) => opEntry(slot, put('a', `${slot}`)));
    const next = [5, 6].map((slot) => opEntry(slot, put('a', `${slot}`), { session: 2, seq: slot - 4 }));
    await store.persistLog([...old, ...next]);
    await store.applyBatch(old);
    await store.applyBatch(next);
    await store.close();
    expect(await logKeys(dir)).toEqual([4, 5, 6].map((slot) => logKey(slot)));
  });
});
