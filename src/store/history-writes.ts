// Turns the changes of an apply into history (keys.ts: h and r) and live records (k). Each change is one
// history record at (revision, sub), sub its index among the revision's changes. The last change of a key
// in a revision is its state at that revision: only that one goes into the key's revision index, and it
// points back (`prev`) to the key's state before the revision, so that compaction (history-sweep.ts)
// finds what a newer revision replaced without searching, and a watch finds the previous value. An
// earlier change of the key in the same revision is `superseded`: only a watch ever reads it.
import assert from 'node:assert/strict';
import type { HistoryPosition } from './keys.js';
import type { KeyRecord } from './ops.js';
import type { RevisionRecord } from './record-codec.js';
import type { RevisionEvents } from './state-machine.js';

export interface HistoryChanges {
  /** In (revision, sub) order. */
  records: Array<{ position: HistoryPosition; record: RevisionRecord }>;
  /** Where each changed key's final state is in the history (null: deleted). */
  finals: Map<string, HistoryPosition | null>;
}

/**
 * `before(key)`: where the key's stored record is in the history, null when the key is absent — asked
 * once per key, for keys the batch changed.
 */
export function historyChanges(revisions: readonly RevisionEvents[], before: (key: string) => HistoryPosition | null): HistoryChanges {
  const records: HistoryChanges['records'] = [];
  const finals = new Map<string, HistoryPosition | null>();
  const positionOf = (key: string): HistoryPosition | null => (finals.has(key) ? finals.get(key)! : before(key));
  for (const { revision, events } of revisions) {
    const last = new Map<string, number>();
    events.forEach((event, sub) => last.set(event.key, sub));
    events.forEach((event, sub) => {
      const final = last.get(event.key) === sub;
      const prev = final ? positionOf(event.key) : null;
      records.push({ position: { revision, sub }, record: { key: event.key, record: event.record, prev, superseded: !final } });
    });
    for (const [key, sub] of last) finals.set(key, events[sub]!.record === null ? null : { revision, sub });
  }
  return { records, finals };
}

/** The history position of a live record written by this batch: its modRevision and final sub. */
export function finalPosition(changes: HistoryChanges, key: string, record: KeyRecord): HistoryPosition {
  const position = changes.finals.get(key);
  assert.ok(position !== undefined && position !== null, `written key '${key}' has no final history record`);
  assert.equal(position.revision, record.modRevision, `key '${key}' was last written at ${position.revision}, not its modRevision`);
  return position;
}
