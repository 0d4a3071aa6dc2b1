// A replica's state machine on LevelDB (docs/design.md §4): persists the log as the durability mode asks, and
// applies committed entries so that data, client table and applied index change in ONE atomic batch.
import assert from 'node:assert/strict';
import type { Durability } from '../config/cluster.js';
import type { KeyRecord } from './ops.js';
import type { AppliedEntry, LogEntry, StoreMeta } from './log-entry.js';
import type { ViewState } from './view-state.js';
import type { ClientState } from './client-table.js';
import { applyEntries, decodeEntries, type DecodedEntry, readsOf, splitAtRangeReads } from './state-machine.js';
import { applyWrites } from './apply-writes.js';
// --- KV API reads and watch history (src/store/local-reads.ts, watch-history.ts) ---
import type { KeyEntry, RangeQuery } from './ops.js';
import { rangeId, type RangeAnswer } from './key-range.js';
import { readEventsAt, readKeyAt, readRangeAt, scanRange } from './local-reads.js';
import {
  EVENT_COMPACT_BACKLOG_REVISIONS_PER_BATCH,
  EVENT_RETAIN_REVISIONS_DEFAULT,
  encodeEvents,
  oldestRetainedRevision,
  openEventSublevel,
  revisionKey,
} from './watch-history.js';
import type { RevisionEvents } from './state-machine.js';
import type { BatchOperation, Sublevel } from './level-db.js';
import { DELETE_RANGE_KEYS_MAX } from './kv-op.js';
import { decodeLease, leaseKey, type LeaseSublevels, openLeaseSublevels, readAllLeases, scanLeaseKeys } from './lease-store.js';
import { leaseWrites } from './lease-writes.js';
// --- end KV API ---
import { decodeKeyRecord, decodeLogEntry, encodeLogEntry, encodeViewState } from './codec.js';
import { logKey, VIEW_STATE_KEY } from './keys.js';
import { openSublevels, readClients, readMeta, readViewState, type Sublevels } from './level-db.js';
import { discardUntrustedState, exportSnapshot, installSnapshot, type SnapshotRecord } from './snapshot.js';

/** Applied entries kept in `log` so that lagging peers can still be served from it. */
export const LOG_RETAIN_ENTRIES_DEFAULT = 10_000;

/**
 * Retention deletes, per apply batch, the entries that batch pushed out of the retained window plus at
 * most this many older leftovers (e.g. after logRetainEntries was lowered), so no batch grows without bound.
 */
export const LOG_TRUNCATE_BACKLOG_ENTRIES_PER_BATCH = 1_024;

export interface KvStoreOptions {
  durability: Durability;
  logRetainEntries?: number;
  /** Revisions of watch history kept (watch-history.ts). */
  eventRetainRevisions?: number;
}

/** Sublevels of the KV API's replicated state beyond kv: watch history (with its window) and leases. */
interface ApiSublevels {
  events: Sublevel;
  retainRevisions: number;
  leases: LeaseSublevels;
}

export class KvStore {
  // applyBatch, saveViewState and truncateLog write from (or check against) the in-memory copies of meta
  // and view state, so they run one after the other.
  private metaWrites: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly sublevels: Sublevels,
    private readonly durability: Durability,
    private readonly logRetainEntries: number,
    private current: StoreMeta,
    private currentView: ViewState | null,
    private readonly clients: Map<number, ClientState>,
    private readonly api: ApiSublevels,
  ) {}

  static async open(dir: string, options: KvStoreOptions): Promise<KvStore> {
    const logRetainEntries = options.logRetainEntries ?? LOG_RETAIN_ENTRIES_DEFAULT;
    assert.ok(
      Number.isSafeInteger(logRetainEntries) && logRetainEntries >= 1,
      `logRetainEntries must be a positive integer, got ${logRetainEntries}`,
    );
    const sublevels = await openSublevels(dir);
    try {
      const lostState = await discardUntrustedState(sublevels.db, options.durability === 'memory');
      const meta = await readMeta(sublevels.meta);
      const view = await readViewState(sublevels.meta);
      const clients = await readClients(sublevels.clients);
      const api = {
        events: openEventSublevel(sublevels.db),
        retainRevisions: options.eventRetainRevisions ?? EVENT_RETAIN_REVISIONS_DEFAULT,
        leases: openLeaseSublevels(sublevels.db),
      };
      assert.ok(
        Number.isSafeInteger(api.retainRevisions) && api.retainRevisions >= 1,
        `eventRetainRevisions must be a positive integer, got ${api.retainRevisions}`,
      );
      const store = new KvStore(sublevels, options.durability, logRetainEntries, meta, view, clients, api);
      store.stateLost = lostState;
      return store;
    } catch (err) {
      await sublevels.db.close();
      throw err;
    }
  }

  /** True when open() discarded replicated state this replica may have acknowledged (snapshot.ts). */
  stateLost = false;

  /** The replicated state at one point in time, for a peer that fell behind the log window. */
  snapshot(): AsyncGenerator<SnapshotRecord> {
    return exportSnapshot(this.sublevels.db);
  }

  /** Replaces the replicated state with a peer's snapshot (after every apply in flight is written). */
  installSnapshot(records: AsyncIterable<SnapshotRecord>): Promise<StoreMeta> {
    return this.serialize(async () => {
      await installSnapshot(this.sublevels.db, records);
      this.current = await readMeta(this.sublevels.meta);
      this.clients.clear();
      for (const [id, client] of await readClients(this.sublevels.clients)) this.clients.set(id, client);
      return this.meta();
    });
  }

  /** A copy of the applied state's meta; it changes only when a write of it has reached LevelDB. */
  meta(): StoreMeta {
    return { ...this.current };
  }

  /**
   * The view state last saved, as loaded at open and updated by saveViewState; null for a fresh store.
   * With durability 'memory' it survives a restart too, but recovery must not trust it (docs/design.md §3).
   */
  viewState(): ViewState | null {
    return this.currentView === null ? null : { ...this.currentView };
  }

  // Only 'fsync' waits for the disk: 'async' leaves it to the OS, 'memory' relies on the quorum instead.
  private get sync(): boolean {
    return this.durability === 'fsync';
  }

  /**
   * Persists entries before they are acknowledged; one batch, so one fsync per group of entries. An entry
   * replaces whatever was persisted at its slot: gap agreement turns a slot into a NO-OP that way.
   */
  async persistLog(entries: readonly LogEntry[]): Promise<void> {
    if (this.durability === 'memory' || entries.length === 0) return;
    const { db, log } = this.sublevels;
    await db.batch(
      entries.map((entry) => ({ type: 'put' as const, sublevel: log, key: logKey(entry.slot), value: encodeLogEntry(entry) })),
      { sync: this.sync },
    );
  }

  /**
   * Deletes every persisted entry past `afterSlot` in one batch: a view change discards an uncommitted
   * tail. Applied slots are committed and never discarded. Callers await it before persisting the tail
   * that replaces the discarded one, or the new entries could be deleted too.
   */
  truncateLog(afterSlot: number): Promise<void> {
    return this.serialize(async () => {
      assert.ok(Number.isSafeInteger(afterSlot), `afterSlot must be a safe integer, got ${afterSlot}`);
      assert.ok(
        afterSlot >= this.current.appliedSlot,
        `must not truncate at or below applied slot ${this.current.appliedSlot}, got after ${afterSlot}`,
      );
      if (this.durability === 'memory') return;
      const { db, log } = this.sublevels;
      // Bounded by what the consensus layer persists ahead of applying.
      const doomed = await log.keys({ gt: logKey(afterSlot) }).all();
      await db.batch(
        doomed.map((key) => ({ type: 'del' as const, sublevel: log, key })),
        { sync: this.sync },
      );
    });
  }

  /**
   * Every persisted entry in slot order, for replay after a restart: the retained applied window and the
   * unapplied tail; the caller splits them at meta().appliedSlot. Their number is bounded by
   * logRetainEntries plus what the consensus layer persists ahead of applying.
   */
  async loadLog(): Promise<LogEntry[]> {
    const entries: LogEntry[] = [];
    for await (const [key, bytes] of this.sublevels.log.iterator()) {
      const entry = decodeLogEntry(bytes);
      assert.equal(logKey(entry.slot), key, `log entry of slot ${entry.slot} stored under key ${key}`);
      entries.push(entry);
    }
    return entries;
  }

  /** Applies committed entries, which must continue exactly where meta stopped (state-machine.ts). */
  applyBatch(entries: readonly LogEntry[]): Promise<AppliedEntry[]> {
    return this.serialize(() => this.applyNow(entries));
  }

  private async applyNow(entries: readonly LogEntry[]): Promise<AppliedEntry[]> {
    const applied: AppliedEntry[] = [];
    // Usually one part; a range-reading op starts its own, each part one atomic batch (state-machine.ts).
    for (const part of splitAtRangeReads(decodeEntries(entries))) applied.push(...(await this.applyPart(part)));
    return applied;
  }

  private async applyPart(decoded: readonly DecodedEntry[]): Promise<AppliedEntry[]> {
    const reads = readsOf(decoded);
    const { leases: leaseLevel, leaseKeys: leaseKeyLevel } = this.api.leases;
    const ranges = new Map<string, KeyEntry[]>();
    for (const query of reads.ranges) ranges.set(rangeId(query), await scanRange(this.sublevels.kv, query, query.limit + 1));
    const leaseKeys = new Map<number, string[]>();
    for (const lease of reads.leaseKeys) leaseKeys.set(lease, await scanLeaseKeys(leaseKeyLevel, lease, DELETE_RANGE_KEYS_MAX + 1));
    // Keys a range or revoke may delete are read as records too, so the lease index follows their change.
    const keys = [...new Set([...reads.keys, ...[...leaseKeys.values()].flat()])];
    const stored = await this.sublevels.kv.getMany(keys);
    const records = new Map(keys.map((key, i) => [key, decodeOptionalRecord(stored[i])] as const));
    for (const entries of ranges.values()) for (const { key, record } of entries) records.set(key, record);
    const storedLeases = await leaseLevel.getMany(reads.leases.map(leaseKey));
    const leases = new Map(
      reads.leases.map((lease, i) => [lease, storedLeases[i] === undefined ? null : decodeLease(storedLeases[i]!)] as const),
    );
    const output = applyEntries({ meta: this.current, records, ranges, leases, leaseKeys, clients: this.clients }, decoded);
    const truncated = await this.logKeysToTruncate(output.meta, decoded.length);
    const operations = applyWrites(this.sublevels, output, this.clients, truncated);
    operations.push(...(await this.historyWrites(output.meta.revision, output.events)));
    operations.push(...leaseWrites(this.api.leases, output));
    await this.sublevels.db.batch(operations, { sync: this.sync });
    this.current = output.meta;
    for (const [clientId, client] of output.clients) this.clients.set(clientId, client);
    return output.applied;
  }

  /** The batch's new revisions of watch history, and the compaction of those that fell out of the window. */
  private async historyWrites(revision: number, created: readonly RevisionEvents[]): Promise<BatchOperation[]> {
    const { events, retainRevisions } = this.api;
    const oldest = oldestRetainedRevision(revision, retainRevisions);
    // A batch may create revisions that are already out of the window; they are never written.
    const kept = created.filter((item) => item.revision >= oldest);
    const operations: BatchOperation[] = kept.map((item) => ({
      type: 'put',
      sublevel: events,
      key: revisionKey(item.revision),
      value: encodeEvents(item.events),
    }));
    const compacted = await events
      .keys({ lt: revisionKey(oldest), limit: created.length + EVENT_COMPACT_BACKLOG_REVISIONS_PER_BATCH })
      .all();
    for (const key of compacted) operations.push({ type: 'del', sublevel: events, key });
    return operations;
  }

  private async logKeysToTruncate(meta: StoreMeta, appliedEntries: number): Promise<string[]> {
    if (this.durability === 'memory') return [];
    // Keeps slots (appliedSlot - retain, appliedSlot], whatever session they belong to.
    const oldestKept = Math.max(1, meta.appliedSlot - this.logRetainEntries + 1);
    return this.sublevels.log.keys({ lt: logKey(oldestKept), limit: appliedEntries + LOG_TRUNCATE_BACKLOG_ENTRIES_PER_BATCH }).all();
  }

  /**
   * Persists the consensus layer's view state under its own key, apart from the applied meta. Written in
   * every durability mode because it is cheap; only 'fsync' waits for the disk.
   */
  saveViewState(state: ViewState): Promise<void> {
    const next = { ...state };
    return this.serialize(async () => {
      assert.ok(next.lastNormalView <= next.view, `last normal view ${next.lastNormalView} is past view ${next.view}`);
      assert.ok(next.lastNormalSession <= next.session, `last normal session ${next.lastNormalSession} is past session ${next.session}`);
      // Through the root database: only its write options carry `sync`.
      const { db, meta } = this.sublevels;
      // Synced whatever the durability mode: it is what tells a replica that lost its data (which must
      // recover) from a fresh one, and it is written only on view changes.
      await db.batch([{ type: 'put', sublevel: meta, key: VIEW_STATE_KEY, value: encodeViewState(next) }], { sync: true });
      this.currentView = next;
    });
  }

  /** The applied state of one key; may be stale with respect to the cluster. */
  async read(key: string): Promise<KeyRecord | null> {
    return decodeOptionalRecord(await this.sublevels.kv.get(key));
  }

  // --- KV API reads (local-reads.ts): each answers at one store revision, which it returns ---
  readKey(key: string): Promise<{ revision: number; record: KeyRecord | null }> {
    return readKeyAt(this.readSublevels(), key);
  }

  readRange(query: RangeQuery): Promise<RangeAnswer & { revision: number }> {
    return readRangeAt(this.readSublevels(), query);
  }

  readEvents(fromRevision: number, revisionsMax: number): Promise<{ revision: number; history: RevisionEvents[] }> {
    return readEventsAt(this.readSublevels(), fromRevision, revisionsMax);
  }

  /** Every lease and its time to live, for a new leader to count down. */
  readLeases(): Promise<Array<{ lease: number; ttlMs: number }>> {
    return readAllLeases(this.api.leases.leases);
  }

  private readSublevels() {
    return { db: this.sublevels.db, kv: this.sublevels.kv, meta: this.sublevels.meta, events: this.api.events };
  }
  // --- end KV API reads ---

  async close(): Promise<void> {
    await this.metaWrites;
    await this.sublevels.db.close();
  }

  private serialize<T>(work: () => Promise<T>): Promise<T> {
    const run = this.metaWrites.then(work);
    // The caller of `work` receives its failure through `run`. The queue itself moves on: in-memory state
    // changes only after a successful write, so the next call starts from what is really on disk.
    this.metaWrites = run.catch(() => undefined);
    return run;
  }
}

function decodeOptionalRecord(bytes: Uint8Array | undefined): KeyRecord | null {
  return bytes === undefined ? null : decodeKeyRecord(bytes);
}
