// Proves the history answers exactly at every revision compaction has left readable, whatever the batch
// split, and that compaction deletes what nothing can ask for, a bounded amount per apply. How: seeded
// fast-check scenarios on real LevelDB stores; the expected state at each revision is a reference store's
// live records read after each single entry, and the compacted store (a small retention, compact ops,
// random batch splits) is asked every key and every listing page at every revision it still holds.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Compare, KvOp, KeyEntry, KeyRecord, TxnOp } from '../../../src/store/ops.js';
import type { ReplicaStore } from '../../../src/store/replica-store.js';
import { HISTORY_SWEEP_BACKLOG_RECORDS_PER_BATCH, HISTORY_SWEEP_STEP_REVISIONS_DEFAULT } from '../../../src/store/history-sweep.js';
import { bytes, del, dumpDatabase, opEntry, put, storeHarness } from './fixtures.js';

const harness = storeHarness();

const KEYS = ['a', 'ab', 'b', 'c'];
const keyArb = fc.constantFrom(...KEYS);
const valueArb = fc.uint8Array({ minLength: 1, maxLength: 3 });
const opArb: fc.Arbitrary<KvOp> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ type: fc.constant('put' as const), key: keyArb, value: valueArb }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('delete' as const), key: keyArb }) },
  fc.record({ type: fc.constant('delete_range' as const), prefix: fc.constantFrom('a', '') }),
  // A txn that writes one key twice in one revision: only the second change is the key's state.
  fc.record({
    type: fc.constant('txn' as const),
    txn: fc.record({
      compare: fc.constant<Compare[]>([]),
      success: fc.array(
        fc.oneof(
          fc.record({ type: fc.constant('put' as const), key: keyArb, value: valueArb }),
          fc.record({ type: fc.constant('delete' as const), key: keyArb }),
        ),
        { minLength: 1, maxLength: 4 },
      ),
      failure: fc.constant<TxnOp[]>([]),
    }),
  }),
  fc.record({ type: fc.constant('compact' as const), revision: fc.integer({ min: 1, max: 40 }) }),
);

const scenarioArb = fc.record({
  ops: fc.array(opArb, { minLength: 1, maxLength: 40 }),
  retain: fc.integer({ min: 1, max: 8 }),
  batchSizes: fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 10 }),
});

async function liveState(store: ReplicaStore): Promise<KeyEntry[]> {
  return (await store.reads.readRange({ prefix: '', limit: 100 })).entries;
}

/** Every page of a listing at `revision`, `limit` entries per page, joined. */
async function listAt(store: ReplicaStore, prefix: string, revision: number, limit: number): Promise<KeyEntry[] | string> {
  const entries: KeyEntry[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await store.reads.readRangeAt({ prefix, limit, ...(after === undefined ? {} : { after }) }, revision);
    if ('problem' in page) return page.problem;
    entries.push(...page.entries);
    if (page.next === null) return entries;
    after = page.next;
  }
}

async function historyKeyCount(dir: string): Promise<number> {
  return (await dumpDatabase(dir)).filter(([key]) => key.startsWith('68')).length;
}

describe('history', () => {
  it('answers every key and listing exactly at every revision from the compact revision on', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, async ({ ops, retain, batchSizes }) => {
        const entries = ops.map((op, i) => opEntry(i + 1, op));
        const reference = await harness.open(await harness.newDir(), 'memory');
        const states = new Map<number, KeyEntry[]>([[0, []]]);
        for (const op of ops) {
          await reference.state.applyBatch([opEntry(reference.state.meta().appliedSlot + 1, op)]);
          states.set(reference.state.meta().revision, await liveState(reference));
        }
        const dir = await harness.newDir();
        const store = await harness.openWith(dir, { durability: 'memory', eventRetainRevisions: retain, historySweepStepRevisions: 1 });
        for (let start = 0, i = 0; start < entries.length; i++) {
          const size = batchSizes[i % batchSizes.length]!;
          await store.state.applyBatch(entries.slice(start, start + size));
          start += size;
        }
        const { revision, compactRevision } = store.state.meta();
        expect(revision).toBe(reference.state.meta().revision);
        expect(compactRevision).toBeGreaterThanOrEqual(revision - retain + 1);
        for (let at = 0; at <= revision + 1; at++) {
          const expected = states.get(at);
          const listed = await listAt(store, '', at, 2);
          if (at > revision) expect(listed).toBe('future');
          else if (at < compactRevision) expect(listed).toBe('compacted');
          else {
            expect(listed).toEqual(expected);
            expect(await listAt(store, 'a', at, 1)).toEqual(expected!.filter(({ key }) => key.startsWith('a')));
            for (const key of KEYS) {
              const read = await store.reads.readKeyAt(key, at);
              const record: KeyRecord | null = expected!.find((entry) => entry.key === key)?.record ?? null;
              expect(read).toEqual({ revision: at, record });
            }
          }
        }
        // Below the compact revision at most each key's newest record stays, never a tombstone.
        const { history } = await store.reads.readEvents(compactRevision, 1000);
        const held = history.reduce((sum, item) => sum + item.events.length, 0);
        await store.close();
        expect(await historyKeyCount(dir)).toBeLessThanOrEqual(held + KEYS.length);
      }),
      { seed: 20_261_202, numRuns: 40 },
    );
  });

  it('sweeps a backlog a bounded number of records per apply, staying exact meanwhile', async () => {
    const dir = await harness.newDir();
    const writes = 2 * HISTORY_SWEEP_BACKLOG_RECORDS_PER_BATCH + 100;
    const keeping = await harness.openWith(dir, { durability: 'async', eventRetainRevisions: writes + 10, historySweepStepRevisions: 1 });
    for (let slot = 1; slot <= writes; slot++) await keeping.state.applyBatch([opEntry(slot, put('k', String(slot)))]);
    await keeping.state.applyBatch([opEntry(writes + 1, del('gone'))]);
    await keeping.close();
    expect(await historyKeyCount(dir)).toBe(writes);

    // A retention of one revision leaves one record readable: the rest is a backlog of `writes` - 1.
    let slot = writes + 1;
    const counts: number[] = [];
    for (let apply = 0; apply < 3; apply++) {
      const store = await harness.openWith(dir, { durability: 'async', eventRetainRevisions: 1, historySweepStepRevisions: 1 });
      slot += 1;
      await store.state.applyBatch([opEntry(slot, put('other', 'x'))]);
      const { revision, compactRevision } = store.state.meta();
      expect(compactRevision).toBe(revision);
      expect(await store.reads.readKeyAt('k', compactRevision)).toEqual({
        revision,
        record: expect.objectContaining({ value: bytes(String(writes)) }),
      });
      await store.close();
      counts.push(await historyKeyCount(dir));
    }
    // Each apply deletes at most as many records as it writes plus the backlog allowance, so the first two
    // leave a backlog; the third finishes it. What stays: k's newest record below the compact revision,
    // other's, and other's record at the compact revision.
    const allowance = 1 + HISTORY_SWEEP_BACKLOG_RECORDS_PER_BATCH;
    expect(counts[0]).toBeGreaterThanOrEqual(writes + 1 - allowance);
    expect(counts[1]).toBeGreaterThanOrEqual(counts[0]! + 1 - allowance);
    expect(counts[1]).toBeGreaterThan(3);
    expect(counts[2]).toBe(3);
  });

  it('by default deletes once per HISTORY_SWEEP_STEP_REVISIONS_DEFAULT revisions, leaving the same rows however applies were batched', async () => {
    const writes = HISTORY_SWEEP_STEP_REVISIONS_DEFAULT + 40;
    const entries = (): ReturnType<typeof opEntry>[] => Array.from({ length: writes }, (_, i) => opEntry(i + 1, put('k', String(i + 1))));
    const oneDir = await harness.newDir();
    const one = await harness.openWith(oneDir, { durability: 'async', eventRetainRevisions: 1 });
    for (const entry of entries()) await one.state.applyBatch([entry]);
    await one.close();
    const batchedDir = await harness.newDir();
    const batched = await harness.openWith(batchedDir, { durability: 'async', eventRetainRevisions: 1 });
    const all = entries();
    for (let i = 0; i < all.length; i += 7) await batched.state.applyBatch(all.slice(i, i + 7));
    await batched.close();
    expect(await dumpDatabase(batchedDir)).toEqual(await dumpDatabase(oneDir));
    // Swept up to revision 256: the 41 records from there on stay, and below it only k's newest (255),
    // which the sweep deletes once the record replacing it (256) falls below the bound.
    expect(await historyKeyCount(oneDir)).toBe(writes - HISTORY_SWEEP_STEP_REVISIONS_DEFAULT + 2);
  });
});
