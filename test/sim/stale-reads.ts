// What docs/api.md promises for `?consistency=stale` reads, checked at the end of a run: a stale read is
// the state of the key at the store revision it reports (a consistent snapshot of one replica, never a
// value that was not there at that revision); it reflects every write its node acknowledged before the
// read began; and on one node incarnation, a later read never reports an older revision. The same for a
// read at a past revision (`GET ?revision=N`): the key as it was then, or 410 below the compact revision.
// The state at each revision is what the watches delivered (revision-log.ts); a read the log cannot tell
// about (compaction skipped past its revision on every watch) is counted, not judged.
import type { HistoryOp, Observed } from './history.js';
import type { RevisionLog } from './revision-log.js';

export interface StaleRead extends Observed {
  node: number;
  incarnation: number;
  key: string;
  /** Real-time orders from the history (History.mark). */
  invokeOrder: number;
  completeOrder: number;
  revision: number;
}

/** A linearizable read at a past revision: what it saw, or the compact revision it was refused below. */
export interface PastRead {
  node: number;
  key: string;
  revision: number;
  answer: Observed | { compactRevision: number };
}

export class StaleReadLog {
  readonly reads: StaleRead[] = [];
  readonly pastReads: PastRead[] = [];
  /** Reads the revision log could not judge, set by the check. */
  unjudged = 0;

  record(read: StaleRead): void {
    this.reads.push(read);
  }

  recordPast(read: PastRead): void {
    this.pastReads.push(read);
  }
}

/** The revision a completed write left the store at, if it changed the store. */
function writeRevision(op: HistoryOp): number | null {
  const output = op.output;
  if (output === null) return null;
  if (output.type === 'put' || (output.type === 'txn' && output.succeeded)) return output.modRevision;
  if (output.type === 'delete' && output.deleted === 1) return output.revision;
  return null;
}

/** The first broken promise, described, or null. */
export function checkStaleReads(log: StaleReadLog, ops: readonly HistoryOp[], revisions: RevisionLog): string | null {
  const { reads } = log;
  const lastRevision = revisions.lastRevision();
  log.unjudged = 0;
  for (const read of reads) {
    if (read.revision > lastRevision)
      return `stale read of ${read.key} on r${read.node} reports revision ${read.revision}, past every replica's ${lastRevision}`;
    const expected = revisions.stateAt(read.key, read.revision);
    if (expected === null) log.unjudged += 1;
    else if (expected.value !== read.value || expected.modRevision !== read.modRevision) {
      return `stale read of ${read.key} on r${read.node} at revision ${read.revision} saw ${read.value} (rev ${read.modRevision ?? '-'}), but the key held ${expected.value} (rev ${expected.modRevision ?? '-'}) then`;
    }
  }
  for (const read of log.pastReads) {
    if ('compactRevision' in read.answer) {
      if (read.answer.compactRevision <= read.revision)
        return `read of ${read.key} at revision ${read.revision} on r${read.node} was refused as compacted, but the compact revision is ${read.answer.compactRevision}`;
      continue;
    }
    const expected = revisions.stateAt(read.key, read.revision);
    if (expected === null) log.unjudged += 1;
    else if (expected.value !== read.answer.value || expected.modRevision !== read.answer.modRevision) {
      return `read of ${read.key} at revision ${read.revision} on r${read.node} saw ${read.answer.value} (rev ${read.answer.modRevision ?? '-'}), but the key held ${expected.value} (rev ${expected.modRevision ?? '-'}) then`;
    }
  }
  for (const read of reads) {
    for (const op of ops) {
      const revision = writeRevision(op);
      if (revision === null || op.node !== read.node || op.incarnation !== read.incarnation || op.completeOrder! > read.invokeOrder)
        continue;
      if (revision > read.revision)
        return `stale read of ${read.key} on r${read.node} at revision ${read.revision} misses a write the node acknowledged before it, at revision ${revision}`;
    }
    for (const earlier of reads) {
      if (earlier.node !== read.node || earlier.incarnation !== read.incarnation || earlier.completeOrder > read.invokeOrder) continue;
      if (earlier.revision > read.revision)
        return `stale reads on r${read.node} went back from revision ${earlier.revision} to ${read.revision}`;
    }
  }
  return null;
}
