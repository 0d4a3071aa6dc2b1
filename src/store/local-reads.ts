// Reads of a replica's applied state straight from the database, without the log: what the API serves
// (after a read barrier, or stale) and what the leader's lease expiry counts down. Each read takes one
// database snapshot and reads the store revision from it too, so the answer is exactly the state at that
// revision even while batches apply concurrently.
import { decodeKeyRecord, decodeMeta } from './codec.js';
import { META_KEY } from './keys.js';
import { scanStart, type RangeAnswer } from './key-range.js';
import type { Database, Sublevel, Sublevels } from './database.js';
import { INITIAL_META } from './applied.js';
import type { KeyEntry, KeyRecord, RangeQuery } from './ops.js';
import type { RevisionEvents } from './state-machine.js';
import { decodeEvents, parseRevisionKey, revisionKey } from './watch-history.js';
import { readAllLeases } from './lease-store.js';

type Snapshot = ReturnType<Database['snapshot']>;

/**
 * The first `count` entries of the range in key order (fewer when the range ends). The prefix bound is
 * checked per key rather than given to LevelDB as an upper key, because "the smallest string above every
 * key with this prefix" has no exact UTF-8 spelling.
 */
export async function scanRange(kv: Sublevel, query: RangeQuery, count: number, snapshot?: Snapshot): Promise<KeyEntry[]> {
  const entries: KeyEntry[] = [];
  if (count === 0) return entries;
  const options = snapshot === undefined ? scanStart(query) : { ...scanStart(query), snapshot };
  for await (const [key, bytes] of kv.iterator(options)) {
    if (!key.startsWith(query.prefix)) break;
    entries.push({ key, record: decodeKeyRecord(bytes) });
    if (entries.length >= count) break;
  }
  return entries;
}

type ReadSublevels = Pick<Sublevels, 'db' | 'kv' | 'meta' | 'events' | 'leases'>;

async function withSnapshot<T>(db: Database, read: (snapshot: Snapshot) => Promise<T>): Promise<T> {
  const snapshot = db.snapshot();
  try {
    return await read(snapshot);
  } finally {
    await snapshot.close();
  }
}

async function revisionAt(meta: Sublevel, snapshot: Snapshot): Promise<number> {
  const bytes = await meta.get(META_KEY, { snapshot });
  return (bytes === undefined ? INITIAL_META : decodeMeta(bytes)).revision;
}

function readKeyAt(sublevels: ReadSublevels, key: string): Promise<{ revision: number; record: KeyRecord | null }> {
  return withSnapshot(sublevels.db, async (snapshot) => {
    const bytes = await sublevels.kv.get(key, { snapshot });
    return { revision: await revisionAt(sublevels.meta, snapshot), record: bytes === undefined ? null : decodeKeyRecord(bytes) };
  });
}

function readRangeAt(sublevels: ReadSublevels, query: RangeQuery): Promise<RangeAnswer & { revision: number }> {
  return withSnapshot(sublevels.db, async (snapshot) => {
    const entries = await scanRange(sublevels.kv, query, query.limit + 1, snapshot);
    const revision = await revisionAt(sublevels.meta, snapshot);
    return { revision, entries: entries.slice(0, query.limit), more: entries.length > query.limit };
  });
}

/** History from `fromRevision` on, at most `revisionsMax` revisions, with the store revision it was read at. */
function readEventsAt(
  sublevels: ReadSublevels,
  fromRevision: number,
  revisionsMax: number,
): Promise<{ revision: number; history: RevisionEvents[] }> {
  return withSnapshot(sublevels.db, async (snapshot) => {
    const history: RevisionEvents[] = [];
    for await (const [key, bytes] of sublevels.events.iterator({ gte: revisionKey(fromRevision), limit: revisionsMax, snapshot })) {
      history.push(decodeEvents(parseRevisionKey(key), bytes));
    }
    return { revision: await revisionAt(sublevels.meta, snapshot), history };
  });
}

export class LocalReads {
  constructor(private readonly sublevels: ReadSublevels) {}

  readKey(key: string): Promise<{ revision: number; record: KeyRecord | null }> {
    return readKeyAt(this.sublevels, key);
  }

  readRange(query: RangeQuery): Promise<RangeAnswer & { revision: number }> {
    return readRangeAt(this.sublevels, query);
  }

  /** History from `fromRevision` on, at most `revisionsMax` revisions, with the store revision it was read at. */
  readEvents(fromRevision: number, revisionsMax: number): Promise<{ revision: number; history: RevisionEvents[] }> {
    return readEventsAt(this.sublevels, fromRevision, revisionsMax);
  }

  /** Every lease and its time to live, for a new leader to count down. */
  readLeases(): Promise<Array<{ lease: number; ttlMs: number }>> {
    return readAllLeases(this.sublevels.leases);
  }
}
