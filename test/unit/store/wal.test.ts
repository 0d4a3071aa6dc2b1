// Proves the write-ahead log recovers from what a crash leaves: a torn final record (a length or checksum
// that does not hold, or stray bytes past the end) is cut off and zeroed, so the next append is never
// followed by stale bytes read as records; a segment after a torn one is dropped; a spare segment made
// ahead of need is reused. How: real files in a temp folder, the tail damaged by hand between opens.
import { open, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeRecord, RECORD_HEADER_BYTES } from '../../../src/store/wal/record.js';
import { nodeWalFolder } from '../../../src/store/wal/node-files.js';
import { segmentName } from '../../../src/store/wal/replay.js';
import { WAL_SEGMENT_BYTES_MIN, WriteAheadLog } from '../../../src/store/wal/write-ahead-log.js';
import { opEntry, put, storeHarness } from './fixtures.js';

const harness = storeHarness();
const SEGMENT = WAL_SEGMENT_BYTES_MIN;
const entry = (slot: number, value = 'v') => opEntry(slot, put('k', value));

async function openWal(dir: string) {
  return WriteAheadLog.open(nodeWalFolder(dir, true), { segmentBytes: SEGMENT });
}

/** Where the first segment's written bytes end. */
async function validEnd(dir: string): Promise<number> {
  const bytes = await readFile(join(dir, segmentName(1)));
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0) end -= 1;
  return end;
}

/** Overwrites bytes of a segment file in place, as a crash mid-write leaves them. */
async function damage(dir: string, segment: number, offset: number, bytes: Uint8Array): Promise<void> {
  const file = await open(join(dir, segmentName(segment)), 'r+');
  try {
    await file.write(bytes, 0, bytes.byteLength, offset);
  } finally {
    await file.close();
  }
}

describe('write-ahead log recovery', () => {
  it.each([
    ['a record cut short', (record: Uint8Array) => record.subarray(0, record.byteLength - 3)],
    [
      'a record whose checksum does not hold',
      (record: Uint8Array) => Uint8Array.from(record, (b, i) => (i === record.byteLength - 1 ? b ^ 0xff : b)),
    ],
    ['stray bytes past a zero length', (record: Uint8Array) => Uint8Array.from(record, (b, i) => (i < RECORD_HEADER_BYTES ? 0 : b))],
  ])('cuts %s off, and what is appended over it replays alone', async (_name, tear) => {
    const dir = await harness.newDir();
    const first = await openWal(dir);
    await first.wal.append([entry(1), entry(2)]);
    await first.wal.close();
    const end = await validEnd(dir);
    // A longer write than the next append, so its leftovers would follow the new record if not zeroed.
    await damage(dir, 1, end, tear(encodeRecord({ kind: 'entries', entries: [entry(3, 'x'.repeat(300)), entry(4)] })));

    const second = await openWal(dir);
    expect(second.tornBytes).toBeGreaterThan(0);
    expect(second.entries.map((e) => e.slot)).toEqual([1, 2]);
    await second.wal.append([entry(3)]);
    await second.wal.close();

    const third = await openWal(dir);
    expect(third.tornBytes).toBe(0);
    expect(third.entries).toEqual([entry(1), entry(2), entry(3)]);
    await third.wal.close();
  });

  it('drops the segments after a torn one, and goes on appending where the valid records end', async () => {
    const dir = await harness.newDir();
    const first = await openWal(dir);
    for (let slot = 1; slot <= 12; slot++) await first.wal.append([opEntry(slot, put('k', 'x'.repeat(600)))]);
    await first.wal.close();
    const segments = (await readdir(dir)).sort();
    expect(segments.length).toBeGreaterThanOrEqual(3);
    // Tear the first segment's last record: nothing after it may be replayed.
    const end = await validEnd(dir);
    await damage(dir, 1, end - 5, new Uint8Array([1, 2, 3, 4, 5]));

    const second = await openWal(dir);
    const kept = second.entries.map((e) => e.slot);
    expect(kept.length).toBeLessThan(12);
    expect(kept).toEqual(Array.from({ length: kept.length }, (_, i) => i + 1));
    expect((await readdir(dir)).sort()).toEqual([segmentName(1)]);
    await second.wal.append([entry(kept.length + 1)]);
    await second.wal.close();
    const third = await openWal(dir);
    expect(third.entries.map((e) => e.slot)).toEqual([...kept, kept.length + 1]);
    await third.wal.close();
  });

  it('keeps a clean log unchanged across reopens, truncations included', async () => {
    const dir = await harness.newDir();
    const first = await openWal(dir);
    await first.wal.append([entry(1), entry(2), entry(3)]);
    await first.wal.truncateAfter(1);
    await first.wal.append([entry(2, 'again')]);
    await first.wal.close();
    const second = await openWal(dir);
    expect(second.tornBytes).toBe(0);
    expect(second.entries).toEqual([entry(1), entry(2, 'again')]);
    await second.wal.close();
  });
});
