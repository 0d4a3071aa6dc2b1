// Proves the replicated assembly of split puts and txns (src/store/pieces.ts): a put split by splitOp takes effect
// at its last piece, at one revision, byte-identical, and leaves no piece behind, whether its pieces arrive
// in separate applies, in one, or across a store restart; a retried piece is answered from the client table
// and never held twice; a piece out of order is refused and never cached; a floor at the first request id
// drops an abandoned put's pieces; past ASSEMBLIES_MAX the assembly advanced longest ago is evicted; and
// the pieces held travel in a snapshot. A split txn gives each put of the branch that ran its own value
// at one revision, and one whose puts do not take exactly the bytes held is refused.
// How: ops applied to a real LevelDB store, read back, and the database dumped.
import { describe, expect, it } from 'vitest';
import { splitOp } from '../../../src/runtime/op-split.js';
import type { KvOp, SplittableOp } from '../../../src/store/ops.js';
import { ASSEMBLIES_MAX } from '../../../src/store/pieces.js';
import type { ReplicaStore } from '../../../src/store/replica-store.js';
import { dumpDatabase, opEntry, put, storeHarness } from './fixtures.js';

const harness = storeHarness();
const CAPACITY = { pieceBytes: 1000, roomBeside: () => 500 };
/** Key prefixes of the assembly and piece records (keys.ts), in hex. */
const PIECE_RECORD = /^(70|71)/;

function valueOf(bytes: number, seed = 1): Uint8Array {
  return Uint8Array.from({ length: bytes }, (_, i) => (i * 31 + seed) & 0xff);
}

function split(op: SplittableOp, first: number): KvOp[] {
  const ops = splitOp(op, first, CAPACITY);
  if (typeof ops === 'string') throw new Error(ops);
  return ops;
}

function splitOps(key: string, value: Uint8Array, first: number): KvOp[] {
  return split({ type: 'put', key, value }, first);
}

const same = (a: Uint8Array | undefined, b: Uint8Array): boolean => a !== undefined && Buffer.from(a).equals(Buffer.from(b));

/** Applies each op at its own slot after the store's, with request id startId + i, one apply per group of `perApply`. */
async function applyOps(store: ReplicaStore, ops: readonly KvOp[], startId: number, perApply: number, clientId = 7) {
  const results = [];
  for (let at = 0; at < ops.length; at += perApply) {
    const slot = store.state.meta().appliedSlot;
    const entries = ops.slice(at, at + perApply).map((op, i) => opEntry(slot + i + 1, op, { requestId: startId + at + i, clientId }));
    for (const applied of await store.state.applyBatch(entries)) results.push(applied.result);
  }
  return results;
}

async function pieceRecords(dir: string): Promise<string[]> {
  return (await dumpDatabase(dir)).map(([key]) => key).filter((key) => PIECE_RECORD.test(key));
}

describe('split puts in the store', () => {
  it.each([1, 3, 100])('takes effect at the last piece, at one revision, with %i op(s) per apply, and keeps no piece', async (perApply) => {
    const dir = await harness.newDir();
    const store = await harness.open(dir, 'memory');
    const value = valueOf(4321);
    const ops = splitOps('big', value, 1);
    expect(ops).toHaveLength(5);
    const results = await applyOps(store, ops, 1, perApply);
    expect(results).toEqual([
      ...ops.slice(1).map(() => ({ type: 'piece_held', revision: 0 })),
      { type: 'put', revision: 1, modRevision: 1 },
    ]);
    const read = await store.reads.readKey('big');
    expect(read.revision).toBe(1);
    expect(Buffer.from(read.record!.value).equals(Buffer.from(value))).toBe(true);
    await store.close();
    expect(await pieceRecords(dir)).toEqual([]);
  });

  it('survives a restart between pieces and assembles the same value', async () => {
    const dir = await harness.newDir();
    const value = valueOf(3500, 9);
    const ops = splitOps('big', value, 1);
    const before = await harness.open(dir, 'fsync');
    await applyOps(before, ops.slice(0, 2), 1, 1);
    await before.close();
    expect(await pieceRecords(dir)).toHaveLength(3); // the assembly and two pieces
    const after = await harness.open(dir, 'fsync');
    expect(await applyOps(after, ops.slice(2), 3, 1)).toContainEqual({ type: 'put', revision: 1, modRevision: 1 });
    expect(Buffer.from((await after.reads.readKey('big')).record!.value).equals(Buffer.from(value))).toBe(true);
  });

  it('answers a retried piece from the client table, refuses pieces out of order without caching the refusal', async () => {
    const store = await harness.open(await harness.newDir(), 'memory');
    const value = valueOf(2400);
    const ops = splitOps('big', value, 1); // two pieces and the put
    expect(ops).toHaveLength(3);
    const [skipped] = await applyOps(store, [ops[1]!], 2, 1);
    expect(skipped).toMatchObject({ type: 'invalid', reason: expect.stringMatching(/piece 1 does not follow the 0 pieces held/) });
    await applyOps(store, [ops[0]!], 1, 1);
    expect(await applyOps(store, [ops[0]!], 1, 1)).toEqual([{ type: 'piece_held', revision: 0 }]); // a retry: cached
    expect(await applyOps(store, [ops[1]!], 2, 1)).toEqual([{ type: 'piece_held', revision: 0 }]); // not stuck as refused
    await applyOps(store, [ops[2]!], 3, 1);
    expect(Buffer.from((await store.reads.readKey('big')).record!.value).equals(Buffer.from(value))).toBe(true);
  });

  it("drops an abandoned put's pieces once its submitter's floor reaches the first request id", async () => {
    const dir = await harness.newDir();
    const store = await harness.open(dir, 'memory');
    const ops = splitOps('big', valueOf(2400), 1);
    await applyOps(store, ops.slice(0, 2), 1, 1);
    const slot = store.state.meta().appliedSlot;
    await store.state.applyBatch([opEntry(slot + 1, put('other', 'x'), { requestId: 10, floor: 1 })]);
    const [late] = await applyOps(store, [ops[2]!], 3, 1);
    expect(late).toMatchObject({ type: 'invalid', reason: expect.stringMatching(/finds 0 held/) });
    expect((await store.reads.readKey('big')).record).toBeNull();
    await store.close();
    expect(await pieceRecords(dir)).toEqual([]);
  });

  it(`evicts the assembly advanced longest ago when an assembly starts while ${ASSEMBLIES_MAX} are held`, async () => {
    const store = await harness.open(await harness.newDir(), 'memory');
    const value = valueOf(2400);
    const opsOf = (clientId: number) => splitOps(`big/${clientId}`, value, 1);
    for (let clientId = 1; clientId <= ASSEMBLIES_MAX; clientId++) await applyOps(store, [opsOf(clientId)[0]!], 1, 1, clientId);
    await applyOps(store, [opsOf(1)[1]!], 2, 1, 1); // client 1 advances: client 2 is now the oldest
    await applyOps(store, [opsOf(ASSEMBLIES_MAX + 1)[0]!], 1, 1, ASSEMBLIES_MAX + 1);
    const [evicted] = await applyOps(store, [opsOf(2)[1]!], 2, 1, 2);
    expect(evicted).toMatchObject({ type: 'invalid', reason: expect.stringMatching(/does not follow the 0 pieces held/) });
    expect(await applyOps(store, opsOf(1).slice(2), 3, 1, 1)).toEqual([{ type: 'put', revision: 1, modRevision: 1 }]);
    expect(await applyOps(store, opsOf(3).slice(1), 2, 1, 3)).toEqual([
      { type: 'piece_held', revision: 1 },
      { type: 'put', revision: 2, modRevision: 2 },
    ]);
  });

  it('refuses a piece or split put whose request id is not first + index (first + pieces)', async () => {
    const store = await harness.open(await harness.newDir(), 'memory');
    const ops = splitOps('big', valueOf(2400), 1);
    expect(await applyOps(store, [ops[0]!], 2, 1)).toMatchObject([{ type: 'invalid', reason: 'piece request id is not first + index' }]);
    expect(await applyOps(store, [ops[2]!], 4, 1)).toMatchObject([
      { type: 'invalid', reason: 'split put request id is not first + pieces' },
    ]);
  });

  it("travels in a snapshot: a peer that installs it mid-put assembles the same value from the put's last pieces", async () => {
    const source = await harness.open(await harness.newDir(), 'memory');
    const value = valueOf(3500, 5);
    const ops = splitOps('big', value, 1);
    await applyOps(source, ops.slice(0, 2), 1, 1);
    const peer = await harness.open(await harness.newDir(), 'memory');
    await peer.state.installSnapshot(source.state.snapshot(), () => Promise.resolve());
    expect(peer.state.splitPutsHeld).toBe(1);
    expect(await applyOps(peer, ops.slice(2), 3, 1)).toEqual([
      { type: 'piece_held', revision: 0 },
      { type: 'put', revision: 1, modRevision: 1 },
    ]);
    expect(Buffer.from((await peer.reads.readKey('big')).record!.value).equals(Buffer.from(value))).toBe(true);
    expect(peer.state.splitPutsHeld).toBe(0);
  });

  it("replays a split put retried under its Idempotency-Key by another submitter, and ends the retry's assembly", async () => {
    const store = await harness.open(await harness.newDir(), 'memory');
    const value = valueOf(2400, 3);
    const ops = splitOps('big', value, 1);
    const keyed = (clientId: number) => {
      const slot = store.state.meta().appliedSlot;
      const pieces = ops.slice(0, -1).map((op, i) => opEntry(slot + i + 1, op, { requestId: 1 + i, clientId }));
      const last = opEntry(slot + ops.length, ops.at(-1)!, { requestId: ops.length, clientId, idempotencyKey: 'key-1' });
      return [...pieces, last];
    };
    const first = await store.state.applyBatch(keyed(1));
    expect(first.at(-1)!.result).toEqual({ type: 'put', revision: 1, modRevision: 1 });
    const retry = await store.state.applyBatch(keyed(2));
    expect(retry.at(-1)!.result).toEqual({ type: 'put', revision: 1, modRevision: 1 });
    expect(store.state.meta().revision).toBe(1);
    expect(store.state.splitPutsHeld).toBe(0);
  });
});

describe('split txns in the store', () => {
  const values = { a: valueOf(2500, 1), b: valueOf(1800, 2), c: valueOf(700, 3) };
  const txnOf = (exists: boolean): SplittableOp => ({
    type: 'txn',
    txn: {
      compare: [{ key: 'flag', target: 'exists', op: '==', value: exists }],
      success: [
        { type: 'put', key: 'a', value: values.a },
        { type: 'put', key: 'small', value: new Uint8Array(0) },
        { type: 'put', key: 'b', value: values.b },
      ],
      failure: [{ type: 'put', key: 'c', value: values.c }],
    },
  });

  it.each([
    ['success', false, ['a', 'b'], 'c'],
    ['failure', true, ['c'], 'a'],
  ] as const)(
    'gives each put of the %s branch its own value at one revision, and keeps no piece',
    async (_, exists, written, untouched) => {
      const dir = await harness.newDir();
      const store = await harness.open(dir, 'memory');
      const ops = split(txnOf(exists), 1);
      expect(ops).toHaveLength(6); // 5000 value bytes in pieces of 1000, then the txn
      const results = await applyOps(store, ops, 1, 2);
      expect(results.at(-1)).toMatchObject({ type: 'txn', revision: 1, succeeded: !exists });
      for (const key of written) {
        const read = await store.reads.readKey(key);
        expect(read.record?.modRevision).toBe(1);
        expect(same(read.record?.value, values[key])).toBe(true);
      }
      expect((await store.reads.readKey(untouched)).record).toBeNull();
      await store.close();
      expect(await pieceRecords(dir)).toEqual([]);
    },
  );

  it('refuses a split txn whose puts do not take exactly the bytes held, without caching the refusal', async () => {
    const store = await harness.open(await harness.newDir(), 'memory');
    const ops = split(txnOf(false), 1);
    const last = ops.at(-1) as Extract<KvOp, { type: 'txn' }>;
    const short = { ...last, txn: { ...last.txn, failure: [] } };
    const results = await applyOps(store, [...ops.slice(0, -1), short], 1, 6);
    expect(results.at(-1)).toMatchObject({ type: 'invalid', reason: "the txn's puts take 4300 bytes of the 5000 held" });
    expect((await store.reads.readKey('a')).record).toBeNull();
  });
});
