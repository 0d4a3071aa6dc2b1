// The watch history: the changes of each revision, kept in their own sublevel and written in the same
// apply batch as the data, so every replica holds the same history (docs/design.md §4). Revisions older than a
// window are compacted away; since every revision has at least one event (kv-op.ts), a missing revision
// in the history means it was compacted.
import assert from 'node:assert/strict';
import { isRecord, isSeq, packBody, unpackBody } from '../mrtom/body.js';
import { keyRecordOf } from './codec.js';
import type { RevisionEvents } from './state-machine.js';
import type { WatchEvent } from './state-view.js';

/** Revisions of history kept by default: a watcher may resume from up to this far behind. */
export const EVENT_RETAIN_REVISIONS_DEFAULT = 10_000;

/**
 * Compaction deletes, per apply batch, the revisions the batch pushed out of the window plus at most this
 * many older leftovers (e.g. after the window was lowered), so no batch grows without bound.
 */
export const EVENT_COMPACT_BACKLOG_REVISIONS_PER_BATCH = 1_024;

const REVISION_HEX_DIGITS = 14; // 2^53 - 1 fits in 14 hex digits.

/** Fixed-width hex, so LevelDB's key order is revision order. */
export function revisionKey(revision: number): string {
  assert.ok(Number.isSafeInteger(revision) && revision >= 0, `revision must be a non-negative safe integer, got ${revision}`);
  return revision.toString(16).padStart(REVISION_HEX_DIGITS, '0');
}

export function encodeEvents(events: readonly WatchEvent[]): Uint8Array {
  return packBody(events.map(({ type, key, record }) => ({ type, key, record })));
}

export function decodeEvents(revision: number, bytes: Uint8Array): RevisionEvents {
  const value = unpackBody(bytes);
  assert.ok(Array.isArray(value) && value.length > 0, `stored events of revision ${revision} are not a non-empty list`);
  const events = value.map((item: unknown): WatchEvent => {
    assert.ok(isRecord(item) && typeof item.key === 'string', `stored event of revision ${revision} has no key`);
    if (item.type === 'delete') return { type: 'delete', key: item.key, record: null };
    assert.ok(
      item.type === 'put' && isRecord(item.record),
      `stored event of revision ${revision} is neither a put with a record nor a delete`,
    );
    return { type: 'put', key: item.key, record: keyRecordOf(item.record) };
  });
  return { revision, events };
}

/** The oldest revision the window keeps once the store is at `revision`. */
export function oldestRetainedRevision(revision: number, retainRevisions: number): number {
  return Math.max(1, revision - retainRevisions + 1);
}

export function parseRevisionKey(key: string): number {
  const revision = Number.parseInt(key, 16);
  assert.ok(key.length === REVISION_HEX_DIGITS && isSeq(revision), `malformed revision key '${key}'`);
  return revision;
}
