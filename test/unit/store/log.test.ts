// Proves the persisted log is keyed by slot: an entry replaces the one at its slot, truncateAfter drops the
// tail past a slot, and trimBelow forgets entries below one, whatever session they belong to, at most
// LOG_TRIM_ENTRIES_PER_CALL_MAX per call. How: real LevelDB, read back through load, raw keys and a reopen.
import { describe, expect, it } from 'vitest';
import { logKey } from '../../../src/store/keys.js';
import { LOG_TRIM_ENTRIES_PER_CALL_MAX } from '../../../src/store/replica-log.js';
import { NOOP_REASON } from '../../../src/store/applied.js';
import { logKeys, noopEntry, opEntry, put, storeHarness, readRecord } from './fixtures.js';

const harness = storeHarness();

describe('overwrite by slot', () => {
  it('a NO-OP persisted over an entry replaces it, in loadLog, after reopen and when applied', async () => {
    const dir = await harness.newDir();
    const before = await harness.open(dir, 'fsync');
    const entries = [1, 2, 3].map((slot) => opEntry(slot, put(`k${slot}`, 'v')));
    await before.log.append(entries);
    await before.log.append([noopEntry(2)]);
    expect(await before.log.load()).toEqual([entries[0], noopEntry(2), entries[2]]);
    await before.close();

    const after = await harness.open(dir, 'fsync');
    const log = await after.log.load();
    expect(log).toEqual([entries[0], noopEntry(2), entries[2]]);
    const applied = await after.state.applyBatch(log);
    expect(applied[1]?.result).toEqual({ type: 'invalid', revision: 1, reason: NOOP_REASON });
    expect(await readRecord(after, 'k2')).toBeNull();
  });
});

describe('truncateLog', () => {
  it('removes every entry past afterSlot, keeps the applied prefix, and a reopen shows it', async () => {
    const dir = await harness.newDir();
    const before = await harness.open(dir, 'fsync');
    const build = () => [1, 2, 3, 4, 5].map((slot) => opEntry(slot, put('k', `${slot}`)));
    const entries = build();
    await before.log.append(entries);
    await before.state.applyBatch(entries.slice(0, 2));
    await before.log.truncateAfter(3);
    expect(await before.log.load()).toEqual(build().slice(0, 3));
    // The tail a new view agrees on takes the freed slots.
    const replacement = opEntry(4, put('k', 'new'), { view: 1 });
    await before.log.append([replacement]);
    await before.close();

    const after = await harness.open(dir, 'fsync');
    expect(await after.log.load()).toEqual([...build().slice(0, 3), replacement]);
    expect(after.state.meta().appliedSlot).toBe(2);
  });
});

describe('trimBelow', () => {
  it('forgets entries below the slot across sessions, keeps the rest, and a reopen shows it', async () => {
    const dir = await harness.newDir();
    const store = await harness.open(dir, 'async');
    const old = [1, 2, 3, 4].map((slot) => opEntry(slot, put('a', `${slot}`)));
    const next = [5, 6].map((slot) => opEntry(slot, put('a', `${slot}`), { session: 2, seq: slot - 4 }));
    await store.log.append([...old, ...next]);
    await store.log.trimBelow(4);
    await store.close();
    expect(await logKeys(dir)).toEqual([4, 5, 6].map((slot) => logKey(slot)));
  });

  it(`deletes at most ${LOG_TRIM_ENTRIES_PER_CALL_MAX} entries per call; the next call goes on`, async () => {
    const store = await harness.open(await harness.newDir(), 'async');
    const count = LOG_TRIM_ENTRIES_PER_CALL_MAX + 2;
    await store.log.append(Array.from({ length: count }, (_, i) => opEntry(i + 1, put('k', 'v'))));
    await store.log.trimBelow(count);
    expect((await store.log.load()).map((e) => e.slot)).toEqual([count - 1, count]);
    await store.log.trimBelow(count);
    expect((await store.log.load()).map((e) => e.slot)).toEqual([count]);
  });
});
