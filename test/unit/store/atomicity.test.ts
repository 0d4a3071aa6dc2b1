// Proves the applied index moves only together with the data, that entries must continue exactly where
// the store stopped, and that the log keeps only the retained window. How: real LevelDB, raw reads of it.
import { describe, expect, it } from 'vitest';
import { logKey } from '../../../src/store/keys.js';
import { dumpDatabase, logKeys, opEntry, put, storeHarness } from './fixtures.js';

const harness = storeHarness();

describe('atomic apply', () => {
  it('writes data and applied index together: a reopened store sees both or neither', async () => {
    const dir = await harness.newDir();
    const before = await harness.open(dir, 'fsync');
    await before.applyBatch([opEntry(1, put('a', '1')), opEntry(2, put('b', '2'))]);
    await before.close();
    const after = await harness.open(dir, 'fsync');
    expect(after.meta()).toMatchObject({ appliedSeq: 2, revision: 2 });
    expect((await after.read('b'))?.modRevision).toBe(2);
  });

  // Each case starts from a store that has applied seq 1 of session 1.
  it.each([
    ['skips a seq at the start', [opEntry(3, put('a', '1'))], /does not follow applied seq 1/],
    ['skips a seq in the middle', [opEntry(2, put('a', '1')), opEntry(4, put('b', '2'))], /does not follow applied seq 2/],
    ['repeats an applied seq', [opEntry(1, put('a', '1'))], /does not follow applied seq 1/],
    ['starts a new session past seq 1', [opEntry(2, put('a', '1')), opEntry(2, put('b', '2'), { session: 2 })], /must start at seq 1/],
    ['goes back to an older session', [opEntry(1, put('a', '1'), { session: 0 })], /older than applied session 1/],
  ])('refuses a batch that %s and writes none of it', async (_name, batch, message) => {
    const dir = await harness.newDir();
    const store = await harness.open(dir, 'fsync');
    await store.applyBatch([opEntry(1, put('z', '0'))]);
    const metaBefore = store.meta();
    await store.close();
    const rowsBefore = await dumpDatabase(dir);

    const reopened = await harness.open(dir, 'fsync');
    await expect(reopened.applyBatch(batch)).rejects.toThrow(message);
    expect(reopened.meta()).toEqual(metaBefore);
    await reopened.close();
    expect(await dumpDatabase(dir)).toEqual(rowsBefore);
  });

  it('runs applyBatch and saveView issued together one after the other, losing neither', async () => {
    const dir = await harness.newDir();
    const store = await harness.open(dir, 'fsync');
    await Promise.all([store.applyBatch([opEntry(1, put('a', '1'))]), store.saveView(7, 1), store.applyBatch([opEntry(2, put('b', '2'))])]);
    await store.close();
    expect((await harness.open(dir, 'fsync')).meta()).toEqual({ session: 1, appliedSeq: 2, view: 7, revision: 2 });
  });

  it('accepts seq 1 of a newer session, within one batch', async () => {
    const store = await harness.open(await harness.newDir(), 'async');
    await store.applyBatch([opEntry(1, put('a', '1')), opEntry(2, put('a', '2')), opEntry(1, put('a', '3'), { session: 2, requestId: 3 })]);
    expect(store.meta()).toEqual({ session: 2, appliedSeq: 1, view: 0, revision: 3 });
  });
});

describe('log truncation', () => {
  it('keeps only the last logRetainEntries applied entries, plus what is not applied yet', async () => {
    const dir = await harness.newDir();
    const store = await harness.open(dir, 'async', 3);
    const entries = Array.from({ length: 10 }, (_, i) => opEntry(i + 1, put('k', `${i}`)));
    await store.persistLog(entries);
    await store.applyBatch(entries.slice(0, 4));
    await store.applyBatch(entries.slice(4, 8));
    await store.close();
    expect(await logKeys(dir)).toEqual([6, 7, 8, 9, 10].map((seq) => logKey(1, seq)));
  });

  it('drops the log of a finished session once the next session applies', async () => {
    const dir = await harness.newDir();
    const store = await harness.open(dir, 'async', 3);
    const old = [opEntry(1, put('a', '1')), opEntry(2, put('a', '2'))];
    const next = [opEntry(1, put('a', '3'), { session: 2, requestId: 3 })];
    await store.persistLog([...old, ...next]);
    await store.applyBatch(old);
    await store.applyBatch(next);
    await store.close();
    expect(await logKeys(dir)).toEqual([logKey(2, 1)]);
  });
});
