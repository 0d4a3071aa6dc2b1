// Reads of the history (keys.ts: h, r) inside one database snapshot: a key or a range as they were at a
// past revision, and the changes from a revision on (what a watch sends). The caller checks that the
// revision is not below the compact revision; from there on the history holds, for every key, its newest
// record at or below any revision asked (history-sweep.ts).
import assert from 'node:assert/strict';
import type { Database, Snapshot } from './database.js';
import {
  HISTORY_END,
  historyKey,
  liveKey,
  parseHistoryKey,
  parseRevisionIndexKey,
  REVISION_INDEX_END,
  revisionIndexEnd,
  revisionIndexKey,
  revisionIndexStart,
  type HistoryPosition,
} from './keys.js';
import type { KeyEntry, KeyRecord, RangeQuery } from './ops.js';
import { decodeIndexEntry, decodeLive, decodeRevisionRecord, type RevisionRecord } from './record-codec.js';
import type { RevisionEvents } from './state-machine.js';
import type { WatchEvent } from './state-view.js';
import { compareKeys } from './key-range.js';

/** A past range read examines at most this many keys (live or dead at the revision) per page; a page cut
 *  short by it ends early, with `next` where to continue. */
export const RANGE_AT_KEYS_EXAMINED_MAX = 10_000;
/** A history read stops at the first revision boundary past this many records (one revision is never split). */
export const HISTORY_READ_RECORDS_MAX = 4_096;

async function historyRecord(db: Database, snapshot: Snapshot, position: HistoryPosition): Promise<RevisionRecord> {
  const bytes = await db.get(historyKey(position), { snapshot });
  assert.ok(bytes !== undefined, `history record ${position.revision}.${position.sub} is missing`);
  return decodeRevisionRecord(bytes);
}

/** The key's record at `revision`; null when it was absent then. */
export async function readKeyAt(db: Database, snapshot: Snapshot, key: string, revision: number): Promise<KeyRecord | null> {
  const live = await db.get(liveKey(key), { snapshot });
  if (live !== undefined) {
    const { record } = decodeLive(live);
    // Unchanged since: the live record is the state at `revision` too.
    if (record.modRevision <= revision) return record;
  }
  const range = { gte: revisionIndexStart(key), lte: revisionIndexKey(key, revision), reverse: true, limit: 1, snapshot };
  const [entry] = await db.iterator(range).all();
  if (entry === undefined) return null;
  const { sub, tombstone } = decodeIndexEntry(entry[1]);
  if (tombstone) return null;
  return (await historyRecord(db, snapshot, { revision: parseRevisionIndexKey(entry[0]).revision, sub })).record;
}

/** Where the revision index scan of `query` starts: past `after`'s entries when it lies in the prefix. */
function indexScanStart(query: RangeQuery): Buffer {
  return query.after !== undefined && compareKeys(query.after, query.prefix) >= 0
    ? revisionIndexEnd(query.after)
    : revisionIndexStart(query.prefix);
}

/**
 * The first `query.limit` keys of the range that were live at `revision`, with their records then, and
 * the key to continue after (null: the range ends). Walks the revision index key by key: a forward
 * iterator finds each key, a reverse one its newest revision at or below `revision`.
 */
export async function readRangeAt(
  db: Database,
  snapshot: Snapshot,
  query: RangeQuery,
  revision: number,
): Promise<{ entries: KeyEntry[]; next: string | null }> {
  const keys = db.keys({ gte: indexScanStart(query), lt: REVISION_INDEX_END, snapshot });
  const versions = db.iterator({ gte: revisionIndexStart(''), lt: REVISION_INDEX_END, reverse: true, snapshot });
  const found: Array<{ key: string; position: HistoryPosition }> = [];
  let examined: string | null = null;
  let next: string | null = null;
  try {
    for (let count = 0; ; count++) {
      const indexKey = await keys.next();
      if (indexKey === undefined) break;
      const { key } = parseRevisionIndexKey(indexKey);
      if (!key.startsWith(query.prefix)) break;
      // Another key follows: the page goes on after the last one examined.
      if (found.length === query.limit || count === RANGE_AT_KEYS_EXAMINED_MAX) {
        next = examined;
        break;
      }
      examined = key;
      versions.seek(revisionIndexKey(key, revision));
      const version = await versions.next();
      if (version !== undefined) {
        const at = parseRevisionIndexKey(version[0]);
        const { sub, tombstone } = decodeIndexEntry(version[1]);
        if (at.key === key && !tombstone) found.push({ key, position: { revision: at.revision, sub } });
      }
      keys.seek(revisionIndexEnd(key));
    }
  } finally {
    await keys.close();
    await versions.close();
  }
  const stored = await db.getMany(
    found.map(({ position }) => historyKey(position)),
    { snapshot },
  );
  const entries = found.map(({ key }, i): KeyEntry => {
    const bytes = stored[i];
    assert.ok(bytes !== undefined, `history record of '${key}' is missing`);
    const { record } = decodeRevisionRecord(bytes);
    assert.ok(record !== null, `history record of '${key}' is a tombstone its index does not flag`);
    return { key, record };
  });
  return { entries, next };
}

/**
 * The changes from `fromRevision` on, revision by revision, at most `revisionsMax` revisions (and past
 * HISTORY_READ_RECORDS_MAX records, no further revision). With `prev`, every event carries the key's
 * record before it.
 */
export async function readHistory(
  db: Database,
  snapshot: Snapshot,
  fromRevision: number,
  revisionsMax: number,
  prev: boolean,
): Promise<RevisionEvents[]> {
  const history: Array<{ revision: number; records: RevisionRecord[] }> = [];
  let records = 0;
  for await (const [key, bytes] of db.iterator({ gte: historyKey({ revision: fromRevision, sub: 0 }), lt: HISTORY_END, snapshot })) {
    const { revision } = parseHistoryKey(key);
    if (history.at(-1)?.revision !== revision) {
      if (history.length === revisionsMax || records >= HISTORY_READ_RECORDS_MAX) break;
      history.push({ revision, records: [] });
    }
    history.at(-1)!.records.push(decodeRevisionRecord(bytes));
    records += 1;
  }
  const prevs = prev ? await previousRecords(db, snapshot, history) : null;
  return history.map(({ revision, records: changes }, i) => ({
    revision,
    events: changes.map((change, sub): WatchEvent => {
      const event: WatchEvent = { type: change.record === null ? 'delete' : 'put', key: change.key, record: change.record };
      if (prevs !== null) event.prev = prevs[i]![sub]!;
      return event;
    }),
  }));
}

/** Per revision and change, the key's record before the change: an earlier change of the same revision,
 *  else the record the key's final change of the revision points to (`prev`; superseded changes carry
 *  none, history-writes.ts). */
async function previousRecords(
  db: Database,
  snapshot: Snapshot,
  history: ReadonlyArray<{ records: RevisionRecord[] }>,
): Promise<Array<Array<KeyRecord | null>>> {
  const finals = history.map(({ records }) => records.filter((change) => !change.superseded));
  const pointers = finals.flat().flatMap(({ prev }) => (prev === null ? [] : [prev]));
  const stored = await db.getMany(pointers.map(historyKey), { snapshot });
  let pointer = 0;
  return history.map(({ records }, i) => {
    // The key's record before the revision, from the final change's pointer.
    const before = new Map<string, KeyRecord | null>();
    for (const { key, prev } of finals[i]!) {
      if (prev === null) before.set(key, null);
      else {
        const bytes = stored[pointer++];
        assert.ok(bytes !== undefined, `history record ${prev.revision}.${prev.sub} is missing`);
        before.set(key, decodeRevisionRecord(bytes).record);
      }
    }
    return records.map((change) => {
      const record = before.get(change.key) ?? null;
      before.set(change.key, change.record);
      return record;
    });
  });
}
