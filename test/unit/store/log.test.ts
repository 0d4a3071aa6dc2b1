// Proves the replica log in its write-ahead log (src/store/wal): an entry replaces the one at its slot,
// truncateAfter drops the tail past a slot, trimBelow drops whole segments below one, segments roll over,
// and a reopen replays exactly that — keeping only the retained window below the applied slot. How: the
// real store on real files, small segments, reopened.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { NOOP_REASON } from '../../../src/store/applied.js';
import { WAL_SEGMENT_BYTES_MIN } from '../../../src/store/wal/write-ahead-log.js';
import { noopEntry, opEntry, put, storeHarness, readRecord } from './fixtures.js';

const harness = storeHarness();
const slots = (entries: Array<{ slot: number }>) => entries.map((entry) => entry.slot);
const segmentsIn = async (dir: string) => (await readdir(join(dir, 'wal'))).sort();

describe('overwrite by slot', () => {
  it('a NO-OP persisted over an entry replaces it, after reopen and when applied', async () => {
    const dir = await harness.newDir();
    const before = await harness.open(dir, 'fsync');
    const entries = [1, 2, 3].map((slot) => opEntry(slot, put(`k${slot}`, 'v')));
    await before.log.append(entries);
    await before.log.append([noopEntry(2)]);
    await before.close();

    const after = await harness.open(dir, 'fsync');
    const log = await after.log.load();
    expect(log).toEqual([entries[0], noopEntry(2), entries[2]]);
    const applied = await after.state.applyBatch(log);
    expect(applied[1]?.result).toEqual({ type: 'invalid', revision: 1, reason: NOOP_REASON });
    expect(await readRecord(after, 'k2')).toBeNull();
  });
});

describe('truncateAfter', () => {
  it('removes every entry past afterSlot, keeps the applied prefix, and a reopen shows it', async () => {
    const dir = await harness.newDir();
    const before = await harness.open(dir, 'fsync');
    const build = () => [1, 2, 3, 4, 5].map((slot) => opEntry(slot, put('k', `${slot}`)));
    await before.log.append(build());
    await before.state.applyBatch(build().slice(0, 2));
    await before.log.truncateAfter(3);
    // The tail a new view agrees on takes the freed slots.
    const replacement = opEntry(4, put('k', 'new'), { view: 1 });
    await before.log.append([replacement]);
    await before.close();

    const after = await harness.open(dir, 'fsync');
    expect(await after.log.load()).toEqual([...build().slice(0, 3), replacement]);
    expect(after.state.meta().appliedSlot).toBe(2);
  });
});

describe('segments', () => {
  const bulky = (slot: number, session = 1) => opEntry(slot, put('a', 'x'.repeat(700)), { session, seq: slot });

  it('rolls over into new segments, trims whole segments below a slot, and a reopen replays the rest', async () => {
    const dir = await harness.newDir();
    const store = await harness.openWith(dir, { durability: 'async', walSegmentBytes: WAL_SEGMENT_BYTES_MIN });
    for (let slot = 1; slot <= 40; slot++) await store.log.append([bulky(slot)]);
    const rolled = await segmentsIn(dir);
    expect(rolled.length).toBeGreaterThan(5);
    await store.log.trimBelow(20);
    const trimmed = await segmentsIn(dir);
    expect(trimmed.length).toBeLessThan(rolled.length);
    expect(trimmed[0]! > rolled[0]!).toBe(true);
    await store.close();

    const after = await harness.openWith(dir, { durability: 'async', walSegmentBytes: WAL_SEGMENT_BYTES_MIN });
    const kept = slots(await after.log.load());
    // Whole segments go: what is left starts at or below slot 20, and runs unbroken to the end.
    expect(kept[0]!).toBeLessThanOrEqual(20);
    expect(kept).toEqual(Array.from({ length: 41 - kept[0]! }, (_, i) => kept[0]! + i));
  });

  it('a group larger than half a segment is split into records, and survives a reopen whole', async () => {
    const dir = await harness.newDir();
    const store = await harness.openWith(dir, { durability: 'fsync', walSegmentBytes: WAL_SEGMENT_BYTES_MIN });
    const group = Array.from({ length: 12 }, (_, i) => bulky(i + 1));
    await store.log.append(group);
    await store.close();
    const after = await harness.openWith(dir, { durability: 'fsync', walSegmentBytes: WAL_SEGMENT_BYTES_MIN });
    expect(await after.log.load()).toEqual(group);
  });

  it('a reopen returns only the retained window below the applied slot, and the whole tail', async () => {
    const dir = await harness.newDir();
    const store = await harness.open(dir, 'fsync');
    const entries = Array.from({ length: 10 }, (_, i) => opEntry(i + 1, put('k', `${i}`)));
    await store.log.append(entries);
    await store.state.applyBatch(entries.slice(0, 7));
    await store.close();
    const after = await harness.openWith(dir, { durability: 'fsync', logRetainEntries: 3 });
    expect(slots(await after.log.load())).toEqual([5, 6, 7, 8, 9, 10]);
  });

  it('memory durability writes no log at all', async () => {
    const dir = await harness.newDir();
    const store = await harness.open(dir, 'memory');
    await store.log.append([opEntry(1, put('k', 'v'))]);
    await store.close();
    expect(await (await harness.open(dir, 'memory')).log.load()).toEqual([]);
  });
});
