// Compaction of the history: deletes what no read can ask for once the compact revision passed it, so
// that for every key only its newest record below the compact revision stays (and only if it is not a
// tombstone) — a read at any revision from the compact revision on stays exact, and a watch from it on
// sees every change. The sweep walks the history in (revision, sub) order: each record deletes the
// record it replaced (`prev`, history-writes.ts), a tombstone deletes itself too, and a superseded change
// deletes itself alone. Each apply sweeps a bounded number of records; a backlog (a compact op far
// ahead, a retention lowered at restart) continues in later applies. Deleting is physical only: what
// reads may ask for is decided by the replicated compact revision, so how far a replica has swept never
// changes an answer.
import type { Database } from './database.js';
import { historyKey, parseHistoryKey, revisionIndexKey, type HistoryPosition } from './keys.js';
import { decodeRevisionHead, type RevisionRecord, type RevisionRecordHead } from './record-codec.js';

/** Records swept per apply besides as many as the apply wrote: a backlog shrinks by this much each time. */
export const HISTORY_SWEEP_BACKLOG_RECORDS_PER_BATCH = 1_024;
/**
 * By default the sweep runs up to the compact revision rounded down to a multiple of this: once every so
 * many revisions, not in every apply — a database iterator per apply was a tenth of a follower's CPU
 * (docs/performance.md). Rounding the bound, not skipping applies, keeps what is stored at each
 * revision the same however the applies were batched.
 */
export const HISTORY_SWEEP_STEP_REVISIONS_DEFAULT = 256;

/** Where the sweep stops for a compact revision: below it, history is garbage no read can ask for. */
function sweepBound(compactRevision: number, stepRevisions: number): number {
  return compactRevision - (compactRevision % stepRevisions);
}

export function comparePositions(a: HistoryPosition, b: HistoryPosition): number {
  return a.revision - b.revision || a.sub - b.sub;
}

function after(position: HistoryPosition): HistoryPosition {
  return { revision: position.revision, sub: position.sub + 1 };
}

/** The keys that sweeping one record deletes. */
function deletesOf(position: HistoryPosition, head: RevisionRecordHead): Buffer[] {
  if (head.superseded) return [historyKey(position)];
  const deletes: Buffer[] = [];
  if (head.prev !== null) deletes.push(historyKey(head.prev), revisionIndexKey(head.key, head.prev.revision));
  if (head.tombstone) deletes.push(historyKey(position), revisionIndexKey(head.key, position.revision));
  return deletes;
}

export interface SweepInput {
  /** Everything before it is swept. */
  cursor: HistoryPosition;
  compactRevision: number;
  /** The sweep's bound moves in steps of this many revisions (HISTORY_SWEEP_STEP_REVISIONS_DEFAULT). */
  stepRevisions: number;
  /** The records this apply writes, in order; they follow every stored one. */
  written: ReadonlyArray<{ position: HistoryPosition; record: RevisionRecord }>;
}

/** The keys to delete (after the apply's own writes, which they may include) and where the sweep stands then. */
export async function sweepHistory(db: Database, input: SweepInput): Promise<{ deletes: Buffer[]; cursor: HistoryPosition }> {
  const bound: HistoryPosition = { revision: sweepBound(input.compactRevision, input.stepRevisions), sub: 0 };
  let cursor = input.cursor;
  let budget = input.written.length + HISTORY_SWEEP_BACKLOG_RECORDS_PER_BATCH;
  const deletes: Buffer[] = [];
  const firstWritten = input.written[0]?.position;
  const storedBound = firstWritten !== undefined && comparePositions(firstWritten, bound) < 0 ? firstWritten : bound;
  if (comparePositions(cursor, storedBound) < 0) {
    const rows = await db.iterator({ gte: historyKey(cursor), lt: historyKey(storedBound), limit: budget }).all();
    for (const [key, value] of rows) deletes.push(...deletesOf(parseHistoryKey(key), decodeRevisionHead(value)));
    cursor = rows.length < budget ? storedBound : after(parseHistoryKey(rows.at(-1)![0]));
    budget -= rows.length;
  }
  if (comparePositions(cursor, storedBound) < 0 || storedBound === bound) return { deletes, cursor };
  // Stored history is swept up to this apply's own records, and some of those are below the bound too.
  for (const { position, record } of input.written) {
    if (comparePositions(position, bound) >= 0) return { deletes, cursor: bound };
    if (budget === 0) return { deletes, cursor };
    deletes.push(...deletesOf(position, { ...record, tombstone: record.record === null }));
    cursor = after(position);
    budget -= 1;
  }
  return { deletes, cursor: bound };
}
