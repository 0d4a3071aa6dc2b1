// Every acknowledged write is in the store for good: after heal, the replicated watch history (every
// revision's changes, identical on every replica) is read from the run's first revision to the end and
// each write the clients were told happened must be there, at its revision, with its value; no write
// the clients were told certainly did not happen may be anywhere in it.
import { Client } from '../../src/client/index.js';
import type { HistoryOp } from '../sim/history.js';

/** Each put or delete event of the history: `put key=value@revision` or `delete key@revision`. */
export async function readChangeLog(
  replicaUrl: string,
  fromRevision: number,
  toRevision: number,
  deadlineMs: number,
): Promise<Set<string>> {
  const events = new Set<string>();
  if (toRevision < fromRevision) return events;
  const kv = new Client({ endpoints: [replicaUrl] });
  const watch = kv.watch({ fromRevision, signal: AbortSignal.timeout(deadlineMs) });
  try {
    for await (const frame of watch) {
      for (const event of frame.events) {
        events.add(
          event.type === 'put' ? `put ${event.key}=${event.kv.text()}@${frame.revision}` : `delete ${event.key}@${frame.revision}`,
        );
      }
      if (frame.revision >= toRevision) break;
    }
  } finally {
    await watch.close();
    await kv.close();
  }
  return events;
}

/** The event each acknowledged write must have left, or null for ops that write nothing certain. */
function expectedEvent(op: HistoryOp): string | null {
  const { input, output } = op;
  if (output === null) return null;
  if (input.type === 'put' && output.type === 'put') return `put ${op.key}=${input.value}@${output.modRevision}`;
  if (input.type === 'txn' && output.type === 'txn' && output.succeeded) return `put ${op.key}=${input.value}@${output.modRevision}`;
  if (input.type === 'delete' && output.type === 'delete' && output.deleted === 1) return `delete ${op.key}@${output.revision}`;
  return null;
}

/** Problems found, one line each (at most `linesMax`, then a count). */
export function checkWrites(
  ops: readonly HistoryOp[],
  withdrawnWrites: ReadonlySet<string>,
  events: ReadonlySet<string>,
  linesMax = 10,
): string[] {
  const problems: string[] = [];
  for (const op of ops) {
    const expected = expectedEvent(op);
    if (expected !== null && !events.has(expected)) problems.push(`acknowledged write lost: #${op.id} ${expected} is not in the history`);
  }
  for (const event of events) {
    const write = /^put (.*)@\d+$/.exec(event)?.[1];
    if (write !== undefined && withdrawnWrites.has(write)) problems.push(`a write refused as not applied was applied: ${event}`);
  }
  return problems.length <= linesMax ? problems : [...problems.slice(0, linesMax), `... and ${problems.length - linesMax} more`];
}
