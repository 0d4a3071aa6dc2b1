// The replica's write-ahead log (docs/protocol.md, "The runtime contract"; docs/performance.md for why it
// is not LevelDB): numbered segment files of a fixed size, created zero-filled ahead of use, records
// appended in place — usually one write per group of entries, durable when it resolves (record.ts has the
// framing, replay.ts the recovery). Whole segments are dropped once everything in them is below the trim
// point. Calls run one at a time, in call order (the replica host's storage queue issues them so anyway).
import assert from 'node:assert/strict';
import type { LogEntry } from '../../consensus/log-entry.js';
import type { WalFile, WalFolder } from './files.js';
import { ENTRY_OVERHEAD_BYTES_MAX, encodeRecord, type WalRecord } from './record.js';
import { replaySegments, segmentName, segmentNumbers, type Replay } from './replay.js';

/**
 * 16 MiB (etcd's are 64): at a few MB/s of log a roll-over every few seconds at most, small enough to drop
 * whole soon after the retained window moves past it, and cheap to zero-fill (about 20 ms here).
 */
export const WAL_SEGMENT_BYTES_DEFAULT = 16 * 1024 * 1024;
/** The smallest segment: it must hold a record of the largest entry (a datagram's body, ≤ 64 KiB). */
export const WAL_SEGMENT_BYTES_MIN = 4096;

export interface WalOptions {
  segmentBytes?: number;
  /** Entries below this slot are not returned by the replay (they are applied and out of the window). */
  keepFromSlot?: number;
}

export interface OpenedWal {
  wal: WriteAheadLog;
  entries: LogEntry[];
  /** Bytes of a torn final write that recovery cut off (0 after a clean shutdown). */
  tornBytes: number;
}

interface Segment {
  number: number;
  maxSlot: number;
}

type KeptSegment = Segment & { endOffset: number };

export class WriteAheadLog {
  private file: WalFile | null = null;
  /** The call running last: each call starts once the one before it settled. */
  private last: Promise<unknown> = Promise.resolve();
  /** The next segment, made once the current one is half full; awaited when it is needed. */
  private spare: Promise<number> | null = null;

  private constructor(
    private readonly folder: WalFolder,
    private readonly segmentBytes: number,
    /** Oldest first; the last is the one appended to. */
    private readonly segments: Segment[],
    private offset: number,
  ) {}

  /** Opens the log in `folder` and replays it; a torn final write is cut off first. */
  static async open(folder: WalFolder, options: WalOptions = {}): Promise<OpenedWal> {
    const segmentBytes = options.segmentBytes ?? WAL_SEGMENT_BYTES_DEFAULT;
    assert.ok(
      Number.isSafeInteger(segmentBytes) && segmentBytes >= WAL_SEGMENT_BYTES_MIN,
      `segmentBytes must be an integer of at least ${WAL_SEGMENT_BYTES_MIN}, got ${segmentBytes}`,
    );
    const numbers = segmentNumbers(await folder.list());
    const replay = await replaySegments(numbers, (number) => folder.read(segmentName(number)), options.keepFromSlot);
    for (const number of replay.torn?.droppedSegments ?? []) await folder.remove(segmentName(number));
    const segments = await dropSpares(folder, replay);
    const last = segments.at(-1);
    const wal = new WriteAheadLog(folder, segmentBytes, segments, last?.endOffset ?? 0);
    if (last === undefined) await wal.roll();
    else wal.file = await folder.open(segmentName(last.number));
    // What is left of a torn write must not be read as a record behind the next append.
    if (replay.torn) await wal.file!.write(wal.offset, new Uint8Array(replay.torn.bytes));
    return { wal, entries: replay.entries, tornBytes: replay.torn?.bytes ?? 0 };
  }

  /** Entries at their slots; a later entry for a slot replaces an earlier one. */
  append(entries: readonly LogEntry[]): Promise<void> {
    const records = this.entryRecords(entries);
    return this.serialize(() => this.write(records));
  }

  /** Discards every entry past `afterSlot` (the uncommitted tail a view change did not keep). */
  truncateAfter(afterSlot: number): Promise<void> {
    assert.ok(Number.isSafeInteger(afterSlot) && afterSlot >= 0, `afterSlot must be a non-negative safe integer, got ${afterSlot}`);
    const record = { bytes: encodeRecord({ kind: 'truncate', afterSlot }), maxSlot: Number.NEGATIVE_INFINITY };
    return this.serialize(() => this.write([record]));
  }

  /** Drops the oldest segments whose every entry is below `slot` (never the one appended to). */
  trimBelow(slot: number): Promise<void> {
    return this.serialize(async () => {
      while (this.segments.length > 1 && this.segments[0]!.maxSlot < slot) {
        await this.folder.remove(segmentName(this.segments.shift()!.number));
      }
    });
  }

  close(): Promise<void> {
    return this.serialize(async () => {
      await this.spare?.catch(() => undefined); // A spare that failed to be made is of no use now.
      await this.file?.close();
      this.file = null;
    });
  }

  private serialize(work: () => Promise<void>): Promise<void> {
    const run = this.last.then(work);
    // A failed call fails its caller; the next one still runs (the replica host stops at the first failure).
    this.last = run.catch(() => undefined);
    return run;
  }

  /** One record per slice of entries that stays well inside a segment (a group commit may be large). */
  private entryRecords(entries: readonly LogEntry[]): EncodedRecord[] {
    const recordBytesMax = this.segmentBytes / 2;
    const records: EncodedRecord[] = [];
    let slice: LogEntry[] = [];
    let sliceBytes = 0;
    const close = (): void => {
      if (slice.length === 0) return;
      const record: WalRecord = { kind: 'entries', entries: slice };
      records.push({ bytes: encodeRecord(record), maxSlot: Math.max(...slice.map((entry) => entry.slot)) });
      slice = [];
      sliceBytes = 0;
    };
    for (const entry of entries) {
      const bytes = entry.body.byteLength + ENTRY_OVERHEAD_BYTES_MAX;
      if (sliceBytes + bytes > recordBytesMax) close();
      slice.push(entry);
      sliceBytes += bytes;
    }
    close();
    return records;
  }

  /** Writes the records in order: those that fit the current segment in one write, rolling over as needed. */
  private async write(records: readonly EncodedRecord[]): Promise<void> {
    let next = 0;
    while (next < records.length) {
      const first = records[next]!;
      assert.ok(
        first.bytes.byteLength <= this.segmentBytes,
        `a ${first.bytes.byteLength}-byte record does not fit a ${this.segmentBytes}-byte segment`,
      );
      if (this.offset + first.bytes.byteLength > this.segmentBytes) await this.roll();
      let end = next;
      let bytes = 0;
      while (end < records.length && this.offset + bytes + records[end]!.bytes.byteLength <= this.segmentBytes) {
        bytes += records[end]!.bytes.byteLength;
        end += 1;
      }
      const chunk = records.slice(next, end);
      await this.file!.write(this.offset, chunk.length === 1 ? chunk[0]!.bytes : Buffer.concat(chunk.map((record) => record.bytes)));
      this.offset += bytes;
      const current = this.segments.at(-1)!;
      for (const record of chunk) current.maxSlot = Math.max(current.maxSlot, record.maxSlot);
      next = end;
    }
    if (this.spare === null && this.offset > this.segmentBytes / 2) this.makeSpare(this.segments.at(-1)!.number + 1);
  }

  /** Moves to the next segment: the spare made ahead, or a new one. */
  private async roll(): Promise<void> {
    if (this.spare === null) this.makeSpare((this.segments.at(-1)?.number ?? 0) + 1);
    const number = await this.spare!;
    this.spare = null;
    await this.file?.close();
    this.segments.push({ number, maxSlot: Number.NEGATIVE_INFINITY });
    this.file = await this.folder.open(segmentName(number));
    this.offset = 0;
  }

  private makeSpare(number: number): void {
    this.spare = this.folder.create(segmentName(number), this.segmentBytes).then(() => number);
    // Failing to make the spare is reported when it is needed, not as an unhandled rejection now.
    this.spare.catch(() => undefined);
  }
}

interface EncodedRecord {
  bytes: Uint8Array;
  maxSlot: number;
}

/**
 * The segments to keep: through the last one holding records (or the first, if none does). Empty ones
 * after it are spares made ahead of need; the next roll makes a fresh one.
 */
async function dropSpares(folder: WalFolder, replay: Replay): Promise<KeptSegment[]> {
  const { segments } = replay;
  let keep = segments.length;
  while (keep > 1 && !segments[keep - 1]!.hasRecords && !(replay.torn && keep === segments.length)) keep -= 1;
  for (const segment of segments.slice(keep)) await folder.remove(segmentName(segment.number));
  return segments.slice(0, keep).map(({ number, maxSlot, endOffset }) => ({ number, maxSlot, endOffset }));
}
