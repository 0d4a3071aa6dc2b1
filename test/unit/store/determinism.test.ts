// Proves the state machine is deterministic: any batch split of the same entries yields the same results
// and byte-identical LevelDB contents, history compaction included. How: seeded fast-check scenarios
// applied to two real stores.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { LogEntry } from '../../../src/consensus/log-entry.js';
import type { AppliedEntry } from '../../../src/store/applied.js';
import type { KvOp, TxnOp } from '../../../src/store/ops.js';
import type { ReplicaStore } from '../../../src/store/replica-store.js';
import { dumpDatabase, noopEntry, opEntry, rawEntry, storeHarness } from './fixtures.js';

const harness = storeHarness();

// Few keys, clients and request ids, so that overwrites, deletes of absent keys, retries and floors collide often.
const keyArb = fc.constantFrom('a', 'b', 'c');
const txnOpArb: fc.Arbitrary<TxnOp> = fc.oneof(
  fc.record({ type: fc.constant('put' as const), key: keyArb, value: fc.uint8Array({ maxLength: 4 }) }),
  fc.record({ type: fc.constant('delete' as const), key: keyArb }),
  fc.record({ type: fc.constant('get' as const), key: keyArb }),
  fc.record({
    type: fc.constant('range' as const),
    query: fc.record({ prefix: fc.constantFrom('', 'a'), limit: fc.integer({ min: 1, max: 2 }) }),
  }),
);
const opArb: fc.Arbitrary<KvOp> = fc.oneof(
  fc.record({ type: fc.constant('put' as const), key: keyArb, value: fc.uint8Array({ maxLength: 4 }) }),
  fc.record({ type: fc.constant('delete' as const), key: keyArb }),
  fc.record({ type: fc.constant('barrier' as const) }),
  fc.record({ type: fc.constant('lease_grant' as const), ttlMs: fc.constantFrom(1000, 2000) }),
  fc.record({ type: fc.constant('lease_keepalive' as const), lease: fc.integer({ min: 1, max: 6 }) }),
  fc.record({ type: fc.constant('lease_revoke' as const), lease: fc.integer({ min: 1, max: 6 }) }),
  fc.record({
    type: fc.constant('put' as const),
    key: keyArb,
    value: fc.uint8Array({ maxLength: 4 }),
    lease: fc.integer({ min: 1, max: 6 }),
  }),
  fc.record({ type: fc.constant('delete_range' as const), prefix: fc.constantFrom('', 'a', 'b') }),
  fc.record({ type: fc.constant('compact' as const), revision: fc.integer({ min: 1, max: 30 }) }),
  fc.record({
    type: fc.constant('put' as const),
    key: keyArb,
    value: fc.uint8Array({ maxLength: 4 }),
    require: fc.constantFrom({ absent: true as const }, { modRevision: 2 }),
  }),
  fc.record({
    type: fc.constant('txn' as const),
    txn: fc.record({
      compare: fc.array(
        fc.record({
          key: keyArb,
          target: fc.constant('version' as const),
          op: fc.constantFrom('==' as const, '>' as const),
          value: fc.nat(2),
        }),
        { maxLength: 2 },
      ),
      success: fc.array(txnOpArb, { maxLength: 3 }),
      failure: fc.array(txnOpArb, { maxLength: 3 }),
    }),
  }),
);
type Step = { kind: 'op'; op: KvOp; clientId: number; requestId: number; floor: number } | { kind: 'noop' } | { kind: 'invalid' };
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant('op' as const),
      op: opArb,
      clientId: fc.integer({ min: 1, max: 3 }),
      requestId: fc.integer({ min: 1, max: 12 }),
      floor: fc.integer({ min: 0, max: 6 }),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'noop' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'invalid' as const }) },
);

const scenarioArb = fc.record({
  steps: fc.array(stepArb, { minLength: 1, maxLength: 40 }),
  /** Index of the first entry of session 2 (past the end: no session change). */
  sessionBreak: fc.integer({ min: 1, max: 50 }),
  batchSizes: fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 1, maxLength: 40 }),
  /** Revisions of history kept: small ones make every apply compact. */
  retain: fc.constantFrom(2, 5, 10_000),
});

function toEntries(steps: readonly Step[], sessionBreak: number): LogEntry[] {
  return steps.map((step, i) => {
    const slot = i + 1;
    const session = i < sessionBreak ? 1 : 2;
    const seq = i < sessionBreak ? slot : slot - sessionBreak;
    switch (step.kind) {
      case 'noop':
        return noopEntry(slot, { session, seq });
      case 'invalid':
        return rawEntry(slot, new Uint8Array([0x82, 0xa5]), { session, seq });
      case 'op':
        return opEntry(slot, step.op, { session, seq, clientId: step.clientId, requestId: step.requestId, floor: step.floor });
    }
  });
}

function split(entries: readonly LogEntry[], sizes: readonly number[]): LogEntry[][] {
  const batches: LogEntry[][] = [];
  for (let start = 0, i = 0; start < entries.length; i++) {
    const size = sizes[i % sizes.length] ?? 1;
    batches.push(entries.slice(start, start + size));
    start += size;
  }
  return batches;
}

async function applyAll(store: ReplicaStore, batches: readonly LogEntry[][]): Promise<AppliedEntry[]> {
  const applied: AppliedEntry[] = [];
  for (const batch of batches) applied.push(...(await store.state.applyBatch(batch)));
  return applied;
}

describe('determinism', () => {
  it('gives the same results and the same stored bytes for every batch split', async () => {
    await fc.assert(
      fc.asyncProperty(scenarioArb, async ({ steps, sessionBreak, batchSizes, retain }) => {
        const entries = toEntries(steps, sessionBreak);
        const [oneDir, batchedDir] = [await harness.newDir(), await harness.newDir()];
        const one = await harness.openWith(oneDir, { durability: 'memory', eventRetainRevisions: retain });
        const batched = await harness.openWith(batchedDir, { durability: 'memory', eventRetainRevisions: retain });
        const oneResults = await applyAll(
          one,
          entries.map((entry) => [entry]),
        );
        const batchedResults = await applyAll(batched, split(entries, batchSizes));
        expect(batchedResults).toEqual(oneResults);
        expect(batched.state.meta()).toEqual(one.state.meta());
        await one.close();
        await batched.close();
        expect(await dumpDatabase(batchedDir)).toEqual(await dumpDatabase(oneDir));
      }),
      { seed: 20_261_126, numRuns: 60 },
    );
  });
});
