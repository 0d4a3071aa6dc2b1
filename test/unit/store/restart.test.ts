// Proves what survives a close and reopen: meta, kv, client table, view state and the persisted log
// (fsync and async), while 'memory' persists no log. How: real store folders reopened.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Durability } from '../../../src/config/cluster.js';
import type { ViewState } from '../../../src/consensus/view-state.js';
import { bytes, opEntry, put, readRecord, storeHarness } from './fixtures.js';

const harness = storeHarness();

const VIEW_2: ViewState = {
  view: 2,
  session: 1,
  sequencerId: 3,
  sequencerIncarnation: 0,
  sessionBase: 0,
  lastNormalView: 2,
  lastNormalSession: 1,
};

describe.each<Durability>(['fsync', 'async'])('restart with durability %s', (durability) => {
  it('keeps meta, kv, the client table, the view state and the whole persisted log', async () => {
    const dir = await harness.newDir();
    const before = await harness.open(dir, durability);
    const build = () => [1, 2, 3, 4].map((slot) => opEntry(slot, put(`k${slot}`, `v${slot}`), { view: 2 }));
    const entries = build();
    await before.log.append(entries);
    await before.log.saveView(VIEW_2);
    await before.state.applyBatch(entries.slice(0, 2));
    await before.close();

    const after = await harness.open(dir, durability);
    expect(after.state.meta()).toEqual({ appliedSlot: 2, session: 1, appliedSeq: 2, revision: 2, compactRevision: 0 });
    expect(after.log.viewState()).toEqual(VIEW_2);
    expect(await readRecord(after, 'k2')).toEqual({ value: bytes('v2'), createRevision: 2, modRevision: 2, version: 1 });
    expect(await readRecord(after, 'k3')).toBeNull();
    // The retained applied window comes back too; the caller splits at appliedSlot.
    expect(await after.log.load()).toEqual(build());
    // The client table came back: a retry of applied request 2 is answered from the cache, not re-applied.
    const applied = await after.state.applyBatch([...entries.slice(2), opEntry(5, put('k2', 'again'), { requestId: 2 })]);
    expect(applied[2]?.result).toEqual({ type: 'put', revision: 2, modRevision: 2 });
    expect(after.state.meta().revision).toBe(4);
    // The keys that exist came back too (live-keys.ts): a new write to one continues its record.
    await after.state.applyBatch([opEntry(6, put('k1', 'again'))]);
    expect(await readRecord(after, 'k1')).toEqual({ value: bytes('again'), createRevision: 1, modRevision: 5, version: 2 });
  });
});

describe('restart with durability memory', () => {
  it('persists no log, discards the applied state at the next open, and keeps only the view state', async () => {
    const dir = await harness.newDir();
    const before = await harness.open(dir, 'memory');
    const entries = [opEntry(1, put('a', '1')), opEntry(2, put('b', '2'))];
    await before.log.append(entries);
    await before.log.saveView(VIEW_2);
    await before.state.applyBatch(entries.slice(0, 1));
    await before.log.truncateAfter(1);
    await before.close();
    expect(existsSync(join(dir, 'wal'))).toBe(false);

    // A memory replica's restart lost everything (docs/design.md §3): it must recover from its peers, and the
    // surviving view state is what tells it apart from a brand-new replica.
    const after = await harness.open(dir, 'memory');
    expect(after.state.stateLost).toBe(true);
    expect(await after.log.load()).toEqual([]);
    expect(after.state.meta()).toEqual({ appliedSlot: 0, session: 0, appliedSeq: 0, revision: 0, compactRevision: 0 });
    expect(after.log.viewState()).toEqual(VIEW_2);
    expect(await readRecord(after, 'a')).toBeNull();
  });
});

describe('view state', () => {
  it('is null for a fresh store, and the latest saved one round-trips across a reopen', async () => {
    const dir = await harness.newDir();
    const before = await harness.open(dir, 'fsync');
    expect(before.log.viewState()).toBeNull();
    await before.log.saveView(VIEW_2);
    const next: ViewState = {
      view: 4,
      session: 2,
      sequencerId: 1,
      sequencerIncarnation: 0,
      sessionBase: 17,
      lastNormalView: 2,
      lastNormalSession: 1,
    };
    await before.log.saveView(next);
    expect(before.log.viewState()).toEqual(next);
    await before.close();

    const after = await harness.open(dir, 'fsync');
    expect(after.log.viewState()).toEqual(next);
    // Kept apart from the applied meta, which a view state write leaves alone.
    expect(after.state.meta()).toEqual({ appliedSlot: 0, session: 0, appliedSeq: 0, revision: 0, compactRevision: 0 });
  });

  it('refuses a last normal view or session past the current one and keeps the previous state', async () => {
    const store = await harness.open(await harness.newDir(), 'async');
    await store.log.saveView(VIEW_2);
    await expect(store.log.saveView({ ...VIEW_2, lastNormalView: 3 })).rejects.toThrow(/last normal view 3 is past view 2/);
    await expect(store.log.saveView({ ...VIEW_2, lastNormalSession: 2 })).rejects.toThrow(/last normal session 2 is past session 1/);
    expect(store.log.viewState()).toEqual(VIEW_2);
  });

  it('hands out copies: changing a returned or saved object does not change the stored state', async () => {
    const store = await harness.open(await harness.newDir(), 'async');
    const saved = { ...VIEW_2 };
    await store.log.saveView(saved);
    saved.view = 9;
    const read = store.log.viewState();
    if (read !== null) read.view = 8;
    expect(store.log.viewState()).toEqual(VIEW_2);
  });
});
