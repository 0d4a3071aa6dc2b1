// Proves that a GET's synchronous read (LocalReads.readKey: meta, record, meta) never pairs a record with
// a revision it is not at, although LevelDB lands apply batches on a thread of its own, between any two
// reads, and that no read sees a snapshot install half done. How: a memory-level that lets an apply batch
// land just before the record is read, the way a LevelDB write thread can (the batch is what the real
// state store wrote for the same apply elsewhere); an install held after it cleared the store.
import { MemoryLevel } from 'memory-level';
import { describe, expect, it } from 'vitest';
import type { Database } from '../../../src/store/database.js';
import { LocalReads } from '../../../src/store/local-reads.js';
import { StateStore } from '../../../src/store/state-store.js';
import { bytes, opEntry, put } from './fixtures.js';

type RootOp = { type: 'put'; key: Buffer; value: Buffer };

/** memory-level's own methods, which abstract-level calls and its types do not declare. */
const memory = MemoryLevel.prototype as unknown as {
  _getSync(this: MemoryLevel<Buffer, Buffer>, key: Buffer, options: object): Buffer | undefined;
  _batch(this: MemoryLevel<Buffer, Buffer>, operations: RootOp[], options: object): Promise<void>;
};

class RacingLevel extends MemoryLevel<Buffer, Buffer> {
  /** Lands (synchronously) just before the next read of a live record. */
  landBeforeRecordRead: RootOp[] | null = null;

  constructor() {
    super({ keyEncoding: 'buffer', valueEncoding: 'buffer' });
  }

  _getSync(key: Buffer, options: object): Buffer | undefined {
    if (this.landBeforeRecordRead !== null && key[0] === 'k'.charCodeAt(0)) {
      // memory-level changes its tree before _batch's promise is even returned.
      void memory._batch.call(this, this.landBeforeRecordRead, {});
      this.landBeforeRecordRead = null;
    }
    return memory._getSync.call(this, key, options);
  }
}

async function storeOver(db: Database): Promise<StateStore> {
  await db.open();
  return StateStore.open(db, { durability: 'fsync' }, false);
}

describe('readKey', () => {
  it('reads again when an apply lands between its reads, and answers the state at one revision', async () => {
    const racing = new RacingLevel();
    const state = await storeOver(racing as unknown as Database);
    const first = opEntry(1, put('k', 'one'));
    await state.applyBatch([first]);

    // The second apply, as the state store writes it, on a copy.
    const copy = new MemoryLevel<Buffer, Buffer>({ keyEncoding: 'buffer', valueEncoding: 'buffer' });
    const copyState = await storeOver(copy as unknown as Database);
    await copyState.applyBatch([first]);
    await copyState.applyBatch([opEntry(2, put('k', 'two'))]);
    const landing = (await copy.iterator().all()).map(([key, value]): RootOp => ({ type: 'put', key, value }));

    const reads = new LocalReads(racing as unknown as Database, () => state.readable());
    racing.landBeforeRecordRead = landing;
    const { revision, record } = await reads.readKey('k');
    expect(racing.landBeforeRecordRead).toBeNull(); // the apply did land mid-read
    expect(revision).toBe(2);
    expect(record).toMatchObject({ value: bytes('two'), modRevision: 2, version: 2 });
  });

  it('waits for a snapshot install under way, and answers from the installed state', async () => {
    const db = new MemoryLevel<Buffer, Buffer>({ keyEncoding: 'buffer', valueEncoding: 'buffer' });
    const state = await storeOver(db as unknown as Database);
    await state.applyBatch([opEntry(1, put('k', 'one'))]);
    const peer = await storeOver(
      new MemoryLevel<Buffer, Buffer>({ keyEncoding: 'buffer', valueEncoding: 'buffer' }) as unknown as Database,
    );
    await peer.applyBatch([opEntry(1, put('k', 'one')), opEntry(2, put('k', 'two'))]);

    let cleared!: () => void;
    const storeCleared = new Promise<void>((resolve) => (cleared = resolve));
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    // The install asks for the records only once it has cleared the old state.
    async function* records() {
      cleared();
      await released;
      yield* peer.snapshot();
    }
    const install = state.installSnapshot(records(), () => Promise.resolve());
    await storeCleared;
    const read = new LocalReads(db as unknown as Database, () => state.readable()).readKey('k');
    release();
    await install;
    expect(await read).toMatchObject({ revision: 2, record: { value: bytes('two'), modRevision: 2 } });
  });
});
