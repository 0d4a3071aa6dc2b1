// A replica's applied state (docs/design.md §4): committed entries in, results out, with data, client
// table, watch history, leases and the applied slot changed in ONE atomic batch, so a crash never
// half-applies. Batches are not synced: the write-ahead log is the durability, and a restart replays it
// above the applied slot found (etcd's consistent index). A checkpoint batch is synced, and with it every
// batch before it: the log may be trimmed below it. Also the snapshot of that state a lagging peer
// installs in place of the log.
import assert from 'node:assert/strict';
import type { Durability } from '../config/cluster.js';
import type { LogEntry } from '../consensus/log-entry.js';
import type { AppliedEntry, StoreMeta } from './applied.js';
import type { ClientState } from './client-table.js';
import { applyEntries, decodeEntries, type DecodedEntry, readsOf, type RevisionEvents, splitAtRangeReads } from './state-machine.js';
import { applyWrites } from './apply-writes.js';
import type { KeyEntry, KeyRecord } from './ops.js';
import { rangeId } from './key-range.js';
import { scanRange } from './local-reads.js';
import {
  EVENT_COMPACT_BACKLOG_REVISIONS_PER_BATCH,
  EVENT_RETAIN_REVISIONS_DEFAULT,
  encodeEvents,
  oldestRetainedRevision,
  revisionKey,
} from './watch-history.js';
import { type BatchOperation, readClients, readMeta, type Sublevels, writeOptions } from './database.js';
import { DELETE_RANGE_KEYS_MAX } from './kv-op.js';
import { decodeLease, leaseKey, scanLeaseKeys } from './lease-store.js';
import { leaseWrites } from './lease-writes.js';
import { decodeKeyRecord } from './codec.js';
import { exportSnapshot, installSnapshot, type SnapshotRecord } from './snapshot.js';

export interface StateStoreOptions {
  durability: Durability;
  /** Revisions of watch history kept (watch-history.ts). */
  eventRetainRevisions?: number;
}

export class StateStore {
  // Applies and installs write from (and replace) the in-memory meta and client table, so they run one after the other.
  private writes: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly sublevels: Sublevels,
    private readonly sync: boolean,
    private readonly eventRetainRevisions: number,
    private current: StoreMeta,
    private readonly clients: Map<number, ClientState>,
    /** True when the opener discarded replicated state this replica may have acknowledged (snapshot.ts). */
    readonly stateLost: boolean,
  ) {}

  static async open(sublevels: Sublevels, options: StateStoreOptions, stateLost: boolean): Promise<StateStore> {
    const retain = options.eventRetainRevisions ?? EVENT_RETAIN_REVISIONS_DEFAULT;
    assert.ok(Number.isSafeInteger(retain) && retain >= 1, `eventRetainRevisions must be a positive integer, got ${retain}`);
    const meta = await readMeta(sublevels.meta);
    const clients = await readClients(sublevels.clients);
    // Only 'fsync' checkpoints wait for the disk: 'async' leaves it to the OS, 'memory' relies on the quorum.
    return new StateStore(sublevels, options.durability === 'fsync', retain, meta, clients, stateLost);
  }

  /** A copy of the applied state's meta; it changes only when a write of it has reached the database. */
  meta(): StoreMeta {
    return { ...this.current };
  }

  /**
   * Applies committed entries, which must continue exactly where meta stopped (state-machine.ts). With
   * `checkpoint` (and durability fsync), resolves once they and everything applied before are on disk.
   */
  applyBatch(entries: readonly LogEntry[], checkpoint = true): Promise<AppliedEntry[]> {
    return this.serialize(() => this.applyNow(entries, checkpoint && this.sync));
  }

  /** The replicated state at one point in time, for a peer that fell behind the log window. */
  snapshot(): AsyncGenerator<SnapshotRecord> {
    return exportSnapshot(this.sublevels.db);
  }

  /**
   * Replaces the replicated state with a peer's snapshot (after every apply in flight is written), durably.
   * `beforeReplace` runs once the install is marked (a crash from then on loses the state, visibly): the
   * replica's log, which the snapshot outdates, is discarded there.
   */
  installSnapshot(records: AsyncIterable<SnapshotRecord>, beforeReplace: () => Promise<void>): Promise<StoreMeta> {
    return this.serialize(async () => {
      await installSnapshot(this.sublevels.db, records, beforeReplace);
      this.current = await readMeta(this.sublevels.meta);
      this.clients.clear();
      for (const [id, client] of await readClients(this.sublevels.clients)) this.clients.set(id, client);
      return this.meta();
    });
  }

  private async applyNow(entries: readonly LogEntry[], sync: boolean): Promise<AppliedEntry[]> {
    const applied: AppliedEntry[] = [];
    // Usually one part; a range-reading op starts its own, each part one atomic batch (state-machine.ts).
    const parts = splitAtRangeReads(decodeEntries(entries));
    for (const [i, part] of parts.entries()) applied.push(...(await this.applyPart(part, sync && i === parts.length - 1)));
    return applied;
  }

  private async applyPart(decoded: readonly DecodedEntry[], sync: boolean): Promise<AppliedEntry[]> {
    const reads = readsOf(decoded);
    const { kv, leases: leaseLevel, leaseKeys: leaseKeyLevel } = this.sublevels;
    const ranges = new Map<string, KeyEntry[]>();
    for (const query of reads.ranges) ranges.set(rangeId(query), await scanRange(kv, query, query.limit + 1));
    const leaseKeys = new Map<number, string[]>();
    for (const lease of reads.leaseKeys) leaseKeys.set(lease, await scanLeaseKeys(leaseKeyLevel, lease, DELETE_RANGE_KEYS_MAX + 1));
    // Keys a range or revoke may delete are read as records too, so the lease index follows their change.
    const keys = [...new Set([...reads.keys, ...[...leaseKeys.values()].flat()])];
    const stored = await kv.getMany(keys);
    const records = new Map(keys.map((key, i) => [key, decodeOptionalRecord(stored[i])] as const));
    for (const entries of ranges.values()) for (const { key, record } of entries) records.set(key, record);
    const storedLeases = await leaseLevel.getMany(reads.leases.map(leaseKey));
    const leases = new Map(
      reads.leases.map((lease, i) => [lease, storedLeases[i] === undefined ? null : decodeLease(storedLeases[i]!)] as const),
    );
    const output = applyEntries({ meta: this.current, records, ranges, leases, leaseKeys, clients: this.clients }, decoded);
    const operations = applyWrites(this.sublevels, output, this.clients);
    operations.push(...(await this.historyWrites(output.meta.revision, output.events)));
    operations.push(...leaseWrites(this.sublevels, output));
    await this.sublevels.db.batch(operations, writeOptions(sync));
    this.current = output.meta;
    for (const [clientId, client] of output.clients) this.clients.set(clientId, client);
    return output.applied;
  }

  /** The batch's new revisions of watch history, and the compaction of those that fell out of the window. */
  private async historyWrites(revision: number, created: readonly RevisionEvents[]): Promise<BatchOperation[]> {
    const { events } = this.sublevels;
    const oldest = oldestRetainedRevision(revision, this.eventRetainRevisions);
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

  private serialize<T>(work: () => Promise<T>): Promise<T> {
    const run = this.writes.then(work);
    // The caller of `work` receives its failure through `run`. The queue itself moves on: in-memory state
    // changes only after a successful write, so the next call starts from what is really on disk.
    this.writes = run.catch(() => undefined);
    return run;
  }

  /** Resolves once every apply and install handed over so far is written. */
  async settled(): Promise<void> {
    await this.writes;
  }
}

function decodeOptionalRecord(bytes: Uint8Array | undefined): KeyRecord | null {
  return bytes === undefined ? null : decodeKeyRecord(bytes);
}
