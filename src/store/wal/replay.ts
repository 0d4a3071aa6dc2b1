// Recovery of a write-ahead log from its segments' bytes, without touching them (write-ahead-log.ts acts
// on the result; the simulator's checkers read a disk image with it). Records are folded oldest first. A
// torn write ends the log: what is left of it is cut, and any later segment (only a spare made ahead of
// need can be there after a crash; anything else would follow a write that never completed) is dropped.
import assert from 'node:assert/strict';
import type { LogEntry } from '../../consensus/log-entry.js';
import { decodeSegment, type WalRecord } from './record.js';

export const SEGMENT_NAME = /^(\d{10})\.wal$/;

export function segmentName(number: number): string {
  return `${String(number).padStart(10, '0')}.wal`;
}

export interface ReplayedSegment {
  number: number;
  /** The highest slot of an entry written to it; -Infinity for one holding only truncations, or nothing. */
  maxSlot: number;
  hasRecords: boolean;
  /** Where its valid records end. */
  endOffset: number;
}

export interface Replay {
  /** The entries the log holds from `keepFromSlot` on, ascending by slot. */
  entries: LogEntry[];
  /** The segments up to and including the last one read, oldest first. */
  segments: ReplayedSegment[];
  /** Bytes of a torn write to zero at the last segment's end offset, and the later segments it outdates. */
  torn: { bytes: number; droppedSegments: number[] } | null;
}

export function segmentNumbers(names: readonly string[]): number[] {
  return names
    .map((name) => SEGMENT_NAME.exec(name)?.[1])
    .filter((number): number is string => number !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
}

/**
 * Folds segments into the log they hold, oldest first, one at a time (a segment may be large): `add`
 * says whether to go on — not past a torn write.
 */
export class Replayer {
  private readonly held = new Map<number, LogEntry>();
  private readonly segments: ReplayedSegment[] = [];
  private torn: Replay['torn'] = null;

  constructor(private readonly keepFromSlot = 0) {}

  add(number: number, bytes: Uint8Array): boolean {
    assert.ok(this.torn === null, 'no segment is read past a torn write');
    const { records, endOffset, dirtyBytes } = decodeSegment(bytes);
    this.segments.push({ number, maxSlot: fold(records, this.held, this.keepFromSlot), hasRecords: records.length > 0, endOffset });
    if (dirtyBytes > 0) this.torn = { bytes: dirtyBytes, droppedSegments: [] };
    return this.torn === null;
  }

  result(): Replay {
    const entries = [...this.held.values()].sort((a, b) => a.slot - b.slot);
    return { entries, segments: this.segments, torn: this.torn };
  }
}

/** Replays the segments `numbers`, read one at a time; those after a torn write are listed, not read. */
export async function replaySegments(
  numbers: readonly number[],
  read: (number: number) => Promise<Uint8Array>,
  keepFromSlot = 0,
): Promise<Replay> {
  const replayer = new Replayer(keepFromSlot);
  let readCount = 0;
  while (readCount < numbers.length && replayer.add(numbers[readCount]!, await read(numbers[readCount]!))) readCount += 1;
  const replay = replayer.result();
  if (replay.torn) replay.torn.droppedSegments = numbers.slice(readCount + 1);
  return replay;
}

/** Folds records into the held entries, in order; returns the highest slot of an entry among them. */
function fold(records: readonly WalRecord[], held: Map<number, LogEntry>, keepFromSlot: number): number {
  let maxSlot = Number.NEGATIVE_INFINITY;
  for (const record of records) {
    if (record.kind === 'truncate') {
      for (const slot of held.keys()) if (slot > record.afterSlot) held.delete(slot);
      continue;
    }
    for (const entry of record.entries) {
      if (entry.slot >= keepFromSlot) held.set(entry.slot, entry);
      maxSlot = Math.max(maxSlot, entry.slot);
    }
  }
  return maxSlot;
}
