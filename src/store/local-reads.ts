// Reads of a replica's applied state straight from the database, without the log: what the API serves
// (after a read barrier, or stale) and what the leader's lease expiry counts down. Each read takes one
// database snapshot and reads the store revision from it too, so the answer is exactly the state at that
// revision even while batches apply concurrently. A read at a past revision answers from the history,
// or says why it cannot: the revision is compacted, or this replica has not reached it.
import { decodeLive } from './record-codec.js';
import { keyOfLiveKey, leaseKey, LIVE_END, liveKey, META_KEY } from './keys.js';
import { decodeMeta } from './codec.js';
import { INITIAL_META } from './applied.js';
import { scanStart } from './key-range.js';
import { type Database, readMeta, type Snapshot } from './database.js';
import type { KeyEntry, KeyRecord, LeaseRecord, RangeQuery } from './ops.js';
import type { RevisionEvents } from './state-machine.js';
import { readHistory, readKeyAt, readRangeAt } from './history-reads.js';
import { decodeLease, scanLeaseKeys, scanLeases } from './lease-store.js';

/** Why a read at a past revision has no answer here. */
export type RevisionProblem =
  /** Below the compact revision: that history is gone on every replica. */
  | { problem: 'compacted'; compactRevision: number; revision: number }
  /** Past this replica's revision. */
  | { problem: 'future'; revision: number };

/** A page of a range: `next` is the key to continue after, null when the range ends. */
export interface RangePage {
  revision: number;
  entries: KeyEntry[];
  next: string | null;
}

/** The first `count` live entries of the range in key order (fewer when the range ends). The prefix
 *  bound is checked per key rather than given to LevelDB as an upper key, because "the smallest string
 *  above every key with this prefix" has no exact UTF-8 spelling. */
export async function scanRange(
  db: Database,
  query: RangeQuery,
  count: number,
  snapshot?: Snapshot,
): Promise<Array<KeyEntry & { sub: number }>> {
  const entries: Array<KeyEntry & { sub: number }> = [];
  if (count === 0) return entries;
  const start = scanStart(query);
  const range = 'gt' in start ? { gt: liveKey(start.gt) } : { gte: liveKey(start.gte) };
  for await (const [key, bytes] of db.iterator({ ...range, lt: LIVE_END, ...(snapshot === undefined ? {} : { snapshot }) })) {
    const name = keyOfLiveKey(key);
    if (!name.startsWith(query.prefix)) break;
    entries.push({ key: name, ...decodeLive(bytes) });
    if (entries.length >= count) break;
  }
  return entries;
}

/** A page of the leases: `next` is the id to continue after, null after the last lease. */
export interface LeasePage {
  revision: number;
  leases: Array<{ lease: number } & LeaseRecord>;
  next: number | null;
}

/** One lease, null when it does not exist; with `keyNames`, the first keys attached to it. */
export interface LeaseRead {
  revision: number;
  lease: LeaseRecord | null;
  keyNames?: string[];
}

export class LocalReads {
  /** `readable`: resolves once every apply already answered is in the database (StateStore.readable). */
  constructor(
    private readonly db: Database,
    private readonly readable: () => Promise<void>,
  ) {}

  private async withSnapshot<T>(read: (snapshot: Snapshot) => Promise<T>): Promise<T> {
    await this.readable();
    const snapshot = this.db.snapshot();
    try {
      return await read(snapshot);
    } finally {
      await snapshot.close();
    }
  }

  /** Reads at `revision` when the snapshot can answer there, else says why not. */
  private atRevision<T>(revision: number, read: (snapshot: Snapshot, current: number) => Promise<T>): Promise<T | RevisionProblem> {
    return this.withSnapshot(async (snapshot) => {
      const meta = await readMeta(this.db, snapshot);
      if (revision > meta.revision) return { problem: 'future', revision: meta.revision };
      if (revision < meta.compactRevision) return { problem: 'compacted', compactRevision: meta.compactRevision, revision: meta.revision };
      return read(snapshot, meta.revision);
    });
  }

  /**
   * The hot path of a GET, read synchronously: a record in LevelDB's memtable or the OS page cache costs
   * microseconds, a thread-pool hop tens. Meta, record, meta: an apply writes its records and the meta in
   * one atomic batch, so the same meta before and after means the record is the key's state at that
   * revision. LevelDB writes on another thread, but this thread issues every batch, so at most the one
   * in flight can land meanwhile: a second round always agrees.
   */
  async readKey(key: string): Promise<{ revision: number; record: KeyRecord | null }> {
    await this.readable();
    const live = liveKey(key);
    let before = this.db.getSync(META_KEY);
    for (;;) {
      const bytes = this.db.getSync(live);
      const after = this.db.getSync(META_KEY);
      if (sameBytes(before, after)) {
        const { revision } = after === undefined ? INITIAL_META : decodeMeta(after);
        return { revision, record: bytes === undefined ? null : decodeLive(bytes).record };
      }
      before = after;
    }
  }

  /** The key as it was at `revision`; the answer is at that revision. */
  readKeyAt(key: string, revision: number): Promise<{ revision: number; record: KeyRecord | null } | RevisionProblem> {
    return this.atRevision(revision, async (snapshot) => ({ revision, record: await readKeyAt(this.db, snapshot, key, revision) }));
  }

  readRange(query: RangeQuery): Promise<RangePage> {
    return this.withSnapshot(async (snapshot) => ({
      revision: (await readMeta(this.db, snapshot)).revision,
      ...(await this.live(query, snapshot)),
    }));
  }

  /** The range as it was at `revision`, a page of it; the answer is at that revision. */
  readRangeAt(query: RangeQuery, revision: number): Promise<RangePage | RevisionProblem> {
    return this.atRevision(revision, async (snapshot, current) => ({
      revision,
      // Nothing has changed since: the live records are the answer, and they are the cheaper read.
      ...(revision === current ? await this.live(query, snapshot) : await readRangeAt(this.db, snapshot, query, revision)),
    }));
  }

  private async live(query: RangeQuery, snapshot: Snapshot): Promise<Omit<RangePage, 'revision'>> {
    const entries = await scanRange(this.db, query, query.limit + 1, snapshot);
    const page = entries.slice(0, query.limit).map(({ key, record }) => ({ key, record }));
    return { entries: page, next: entries.length > query.limit ? page.at(-1)!.key : null };
  }

  /**
   * History from `fromRevision` (at the compact revision at least) on, at most `revisionsMax` revisions,
   * with the store revision and compact revision it was read at. `prev`: each event carries the record before it.
   */
  readEvents(
    fromRevision: number,
    revisionsMax: number,
    options: { prev?: boolean } = {},
  ): Promise<{ revision: number; compactRevision: number; history: RevisionEvents[] }> {
    return this.withSnapshot(async (snapshot) => {
      const { revision, compactRevision } = await readMeta(this.db, snapshot);
      const from = Math.max(fromRevision, compactRevision);
      const history = from > revision ? [] : await readHistory(this.db, snapshot, from, revisionsMax, options.prev === true);
      return { revision, compactRevision, history };
    });
  }

  /** The first `limit` leases after the id `after` (from the first without it), in id order. */
  readLeasePage(query: { after?: number; limit: number }): Promise<LeasePage> {
    return this.withSnapshot(async (snapshot) => {
      const { revision } = await readMeta(this.db, snapshot);
      const rows = await scanLeases(this.db, { ...query, limit: query.limit + 1, snapshot });
      const leases = rows.slice(0, query.limit);
      return { revision, leases, next: rows.length > query.limit ? leases.at(-1)!.lease : null };
    });
  }

  /** The lease and, when `keysMax` is given, the first `keysMax` keys attached to it in key order. */
  readLease(lease: number, keysMax?: number): Promise<LeaseRead> {
    return this.withSnapshot(async (snapshot) => {
      const { revision } = await readMeta(this.db, snapshot);
      const bytes = await this.db.get(leaseKey(lease), { snapshot });
      if (bytes === undefined) return { revision, lease: null };
      const record = decodeLease(bytes);
      if (keysMax === undefined) return { revision, lease: record };
      return { revision, lease: record, keyNames: await scanLeaseKeys(this.db, lease, keysMax, snapshot) };
    });
  }

  /** Every lease and its time to live, for a new leader to count down. */
  async readLeases(): Promise<Array<{ lease: number; ttlMs: number }>> {
    await this.readable();
    return (await scanLeases(this.db)).map(({ lease, ttlMs }) => ({ lease, ttlMs }));
  }
}

function sameBytes(a: Buffer | undefined, b: Buffer | undefined): boolean {
  return a === undefined || b === undefined ? a === b : a.equals(b);
}
