// Proves the applied index moves only together with the data, and that entries must continue exactly at
// the next slot without going back a session. How: real LevelDB, raw reads of it.
import { describe, expect, it } from 'vitest';
import { dumpDatabase, opEntry, put, storeHarness, readRecord } from './fixtures.js';
import type { ViewState } from '../../../src/consensus/view-state.js';

const harness = storeHarness();

describe('atomic apply', () => {
  it('writes data and applied index together: a reopened store sees both or neither', async () => {
    const dir = await harness.newDir();
    const before = await harness.open(dir, 'fsync');
    await before.state.applyBatch([opEntry(1, put('a', '1')), opEntry(2, put('b', '2'))]);
    await before.close();
    const after = await harness.open(dir, 'fsync');
    expect(after.state.meta()).toMatchObject({ appliedSlot: 2, revision: 2 });
    expect((await readRecord(after, 'b'))?.modRevision).toBe(2);
  });

  // Each case starts from a store that has applied slot 1 (session 1, seq 1).
  it.each([
    ['skips a slot at the start', [opEntry(3, put('a', '1'))], /slot 3 does not follow applied slot 1/],
    ['skips a slot in the middle', [opEntry(2, put('a', '1')), opEntry(4, put('b', '2'))], /slot 4 does not follow applied slot 2/],
    ['repeats an applied slot', [opEntry(1, put('a', '1'))], /slot 1 does not follow applied slot 1/],
    ['goes back to an older session', [opEntry(2, put('a', '1'), { session: 0 })], /older than applied session 1/],
    [
      'goes back a session within the batch',
      [opEntry(2, put('a', '1'), { session: 2, seq: 1 }), opEntry(3, put('b', '2'), { session: 1 })],
      /older than applied session 2/,
    ],
  ])('refuses a batch that %s and writes none of it', async (_name, batch, message) => {
    const dir = await harness.newDir();
    const store = await harness.open(dir, 'fsync');
    await store.state.applyBatch([opEntry(1, put('z', '0'))]);
    const metaBefore = store.state.meta();
    await store.close();
    const rowsBefore = await dumpDatabase(dir);

    const reopened = await harness.open(dir, 'fsync');
    await expect(reopened.state.applyBatch(batch)).rejects.toThrow(message);
    expect(reopened.state.meta()).toEqual(metaBefore);
    await reopened.close();
    expect(await dumpDatabase(dir)).toEqual(rowsBefore);
  });

  it('runs applyBatch and saveViewState issued together one after the other, losing neither', async () => {
    const dir = await harness.newDir();
    const store = await harness.open(dir, 'fsync');
    const view: ViewState = {
      view: 7,
      session: 1,
      sequencerId: 0,
      sequencerIncarnation: 0,
      sessionBase: 0,
      lastNormalView: 7,
      lastNormalSession: 1,
    };
    await Promise.all([
      store.state.applyBatch([opEntry(1, put('a', '1'))]),
      store.log.saveView(view),
      store.state.applyBatch([opEntry(2, put('b', '2'))]),
    ]);
    await store.close();
    const reopened = await harness.open(dir, 'fsync');
    expect(reopened.state.meta()).toEqual({ appliedSlot: 2, session: 1, appliedSeq: 2, revision: 2 });
    expect(reopened.log.viewState()).toEqual(view);
  });

  it('continues the slot into a newer session, within one batch, whatever seq that session starts at', async () => {
    const store = await harness.open(await harness.newDir(), 'async');
    await store.state.applyBatch([
      opEntry(1, put('a', '1')),
      opEntry(2, put('a', '2')),
      opEntry(3, put('a', '3'), { session: 2, seq: 1 }),
      opEntry(4, put('a', '4'), { session: 5, seq: 9 }),
    ]);
    expect(store.state.meta()).toEqual({ appliedSlot: 4, session: 5, appliedSeq: 9, revision: 4 });
  });
});
