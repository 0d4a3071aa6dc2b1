// What docs/api.md promises for `?consistency=stale` reads, checked at the end of a run: a stale read is
// the state of the key at the store revision it reports (a consistent snapshot of one replica, never a
// value that was not there at that revision); it reflects every write its node acknowledged before the
// read began; and on one node incarnation, a later read never reports an older revision. The state at
// each revision is the watch history of a caught-up replica (the production store's own record).
import type { RevisionEvents } from '../../src/store/state-machine.js';
import type { HistoryOp, Observed } from './history.js';

export interface StaleRead extends Observed {
  node: number;
  incarnation: number;
  key: string;
  /** Real-time orders from the history (History.mark). */
  invokeOrder: number;
  completeOrder: number;
  revision: number;
}

export class StaleReadLog {
  readonly reads: StaleRead[] = [];

  record(read: StaleRead): void {
    this.reads.push(read);
  }
}

const decoder = new TextDecoder();

/** The revision a completed write left the store at, if it changed the store. */
function writeRevision(op: HistoryOp): number | null {
  const output = op.output;
  if (output === null) return null;
  if (output.type === 'put' || (output.type === 'txn' && output.succeeded)) return output.modRevision;
  if (output.type === 'delete' && output.deleted === 1) return output.revision;
  return null;
}

/** The first broken promise, described, or null. `history` must reach back to revision 1. */
export function checkStaleReads(reads: readonly StaleRead[], ops: readonly HistoryOp[], history: readonly RevisionEvents[]): string | null {
  const lastRevision = history.at(-1)?.revision ?? 0;
  for (const read of reads) {
    if (read.revision > lastRevision)
      return `stale read of ${read.key} on r${read.node} reports revision ${read.revision}, past every replica's ${lastRevision}`;
    const expected = stateAt(history, read.key, read.revision);
    if (expected.value !== read.value || expected.modRevision !== read.modRevision) {
      return `stale read of ${read.key} on r${read.node} at revision ${read.revision} saw ${read.value} (rev ${read.modRevision ?? '-'}), but the key held ${expected.value} (rev ${expected.modRevision ?? '-'}) then`;
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

function stateAt(history: readonly RevisionEvents[], key: string, revision: number): Observed {
  let state: Observed = { value: null, modRevision: null };
  for (const { revision: at, events } of history) {
    if (at > revision) break;
    for (const event of events) {
      if (event.key !== key) continue;
      state =
        event.record === null
          ? { value: null, modRevision: null }
          : { value: decoder.decode(event.record.value), modRevision: event.record.modRevision };
    }
  }
  return state;
}
