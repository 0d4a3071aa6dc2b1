// What a replica's disk durably holds of its log, as a restart would replay it (src/store/wal), kept up to
// date incrementally: the checkers ask after nearly every durable write, and between trims the log only
// grows at the end of its last segment. Any other change (a trim, a new segment, a torn write cut off)
// refolds everything.
import type { LogEntry } from '../../src/consensus/log-entry.js';
import { decodeSegment, type WalRecord } from '../../src/store/wal/record.js';
import { segmentName, segmentNumbers } from '../../src/store/wal/replay.js';
import type { SimDisk } from './sim-disk.js';

interface DecodedFile {
  number: number;
  /** The disk's version of the file when it was decoded. */
  version: number;
  decodedTo: number;
  /** A torn write ends the log here: replay reads nothing after it. */
  torn: boolean;
}

export class DurableLog {
  private diskVersion = -1;
  private files: DecodedFile[] = [];
  private readonly entries = new Map<number, LogEntry>();

  constructor(private readonly disk: SimDisk) {}

  /** The durable entry at `slot`, if any. */
  entry(slot: number): LogEntry | undefined {
    this.refresh();
    return this.entries.get(slot);
  }

  private refresh(): void {
    if (this.diskVersion === this.disk.version) return;
    this.diskVersion = this.disk.version;
    const numbers = segmentNumbers([...this.disk.durableLogFiles().keys()]);
    const last = this.files.at(-1);
    const unchangedBefore =
      last !== undefined &&
      !last.torn &&
      numbers.length === this.files.length &&
      this.files.every((file, i) => file.number === numbers[i] && (file === last || file.version === this.versionOf(file.number)));
    if (unchangedBefore) this.decodeMore(last);
    else this.refold(numbers);
  }

  private refold(numbers: readonly number[]): void {
    this.entries.clear();
    this.files = [];
    for (const number of numbers) {
      const file: DecodedFile = { number, version: -1, decodedTo: 0, torn: false };
      this.files.push(file);
      this.decodeMore(file);
      if (file.torn) break;
    }
  }

  private decodeMore(file: DecodedFile): void {
    file.version = this.versionOf(file.number);
    const bytes = this.disk.durableLogFiles().get(segmentName(file.number))!;
    const { records, endOffset, dirtyBytes } = decodeSegment(bytes.subarray(file.decodedTo), false);
    file.decodedTo += endOffset;
    file.torn = dirtyBytes > 0;
    for (const record of records) fold(this.entries, record);
  }

  private versionOf(number: number): number {
    return this.disk.durableLogFileVersion(segmentName(number));
  }
}

function fold(entries: Map<number, LogEntry>, record: WalRecord): void {
  if (record.kind === 'entries') {
    for (const entry of record.entries) entries.set(entry.slot, entry);
    return;
  }
  for (const slot of entries.keys()) if (slot > record.afterSlot) entries.delete(slot);
}
