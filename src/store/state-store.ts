// A replica's applied state (docs/design.md §4): committed entries in, results out, with data, history,
// client table, leases and the applied slot changed in ONE atomic batch, so a crash never half-applies.
// Batches are not synced: the write-ahead log is the durability, and a restart replays it above the
// applied slot found (etcd's consistent index). A checkpoint batch is synced, and with it every batch
// before it: the log may be trimmed below it. Also the snapshot of that state a lagging peer installs in
// place of the log.
import assert from 'node:assert/strict';
import type { Durability } from '../config/cluster.js';
import type { LogEntry } from '../consensus/log-entry.js';
import type { AppliedEntry, StoreMeta } from './applied.js';
import type { ClientState } from './client-table.js';
import { applyEntries, decodeEntries, type DecodedEntry, readsOf, splitAtRangeReads } from './state-machine.js';
import { writeApply } from './apply-writes.js';
import type { KeyEntry, KeyRecord, LeaseRecord } from './ops.js';
import { rangeId } from './key-range.js';
import { scanRange } from './local-reads.js';
import { type Database, readAssemblies, readClients, readIdempotency, readStoredMeta, writeOptions } from './database.js';
import type { IdempotencyTable } from './idempotency.js';
import { DELETE_RANGE_KEYS_MAX } from './kv-op.js';
import { decodeLease, scanLeaseKeys } from './lease-store.js';
import { decodeLive } from './record-codec.js';
import { LiveKeys } from './live-keys.js';
import { leaseKey, liveKey, pieceKey, type HistoryPosition } from './keys.js';
import { type AssemblyTable, pieceId } from './pieces.js';
import { plainBytes } from './codec.js';
import { historyChanges } from './history-writes.js';
import { HISTORY_SWEEP_STEP_REVISIONS_DEFAULT, sweepHistory } from './history-sweep.js';
import { exportSnapshot, installSnapshot, type SnapshotRecord } from './snapshot.js';
import { TokenTable } from './token-table.js';

/** Revisions of history kept by default: reads at a past revision and watches reach back this far. */
export const HISTORY_RETAIN_REVISIONS_DEFAULT = 10_000;

export interface StateStoreOptions {
  durability: Durability;
  /** Revisions of history kept (reads at a revision, watches); every replica must keep the same number. */
  eventRetainRevisions?: number;
  /** Compaction deletes in steps of this many revisions (history-sweep.ts); 1 deletes in every apply. */
  historySweepStepRevisions?: number;
}

/** What an apply part reads before it runs: every record it may look at (state-machine.ts, ApplyInput). */
interface Prefetched {
  records: Map<string, KeyRecord | null>;
  /** Where each stored record found is in the history: its modRevision and sub. */
  positions: Map<string, HistoryPosition>;
  ranges: Map<string, KeyEntry[]>;
  leases: Map<number, LeaseRecord | null>;
  leaseKeys: Map<number, string[]>;
  pieces: Map<string, Uint8Array | null>;
}

export class StateStore {
  // Applies and installs write from (and replace) the in-memory meta and client table, so they run one after the other.
  private writes: Promise<unknown> = Promise.resolve();
  /** What reads wait for: the write of the latest apply whose results were handed out before it
   *  finished, or a snapshot install. */
  private answered: Promise<void> = Promise.resolve();

  private constructor(
    private readonly db: Database,
    private readonly sync: boolean,
    private readonly historyRetainRevisions: number,
    private readonly sweepStepRevisions: number,
    private current: StoreMeta,
    private sweep: HistoryPosition,
    private readonly clients: Map<number, ClientState>,
    private idempotency: IdempotencyTable,
    private liveKeys: LiveKeys,
    /** Split puts' assemblies as applied (pieces.ts); their pieces stay on disk until the put applies. */
    private assemblies: AssemblyTable,
    /** The auth tokens as applied (token-table.ts); the API authenticates against it. */
    readonly tokens: TokenTable,
    /** True when the opener discarded replicated state this replica may have acknowledged (snapshot.ts). */
    readonly stateLost: boolean,
  ) {}

  static async open(db: Database, options: StateStoreOptions, stateLost: boolean): Promise<StateStore> {
    const retain = options.eventRetainRevisions ?? HISTORY_RETAIN_REVISIONS_DEFAULT;
    assert.ok(Number.isSafeInteger(retain) && retain >= 1, `eventRetainRevisions must be a positive integer, got ${retain}`);
    const { meta, sweep } = await readStoredMeta(db);
    const clients = await readClients(db);
    const idempotency = await readIdempotency(db);
    const liveKeys = await LiveKeys.load(db);
    const tokens = await TokenTable.load(db);
    const assemblies = await readAssemblies(db);
    // Only 'fsync' checkpoints wait for the disk: 'async' leaves it to the OS, 'memory' relies on the quorum.
    const step = options.historySweepStepRevisions ?? HISTORY_SWEEP_STEP_REVISIONS_DEFAULT;
    assert.ok(Number.isSafeInteger(step) && step >= 1, `historySweepStepRevisions must be a positive integer, got ${step}`);
    return new StateStore(
      db,
      options.durability === 'fsync',
      retain,
      step,
      meta,
      sweep,
      clients,
      idempotency,
      liveKeys,
      assemblies,
      tokens,
      stateLost,
    );
  }

  /** Split puts whose pieces are held, as applied (pieces.ts). */
  get splitPutsHeld(): number {
    return this.assemblies.size;
  }

  /** A copy of the applied state's meta; it changes only when a write of it has reached the database. */
  meta(): StoreMeta {
    return { ...this.current };
  }

  /**
   * Applies committed entries, which must continue exactly where meta stopped (state-machine.ts). Resolves
   * once they are written; with `checkpoint` (and durability fsync), once they and everything applied
   * before are on disk. `onResults` gets the results as soon as they are known, while the batch is still
   * being written: the log already holds the entries durably (a restart replays them), and every read
   * waits for that write (readable()), so an answer given early is never contradicted by a later read.
   */
  applyBatch(entries: readonly LogEntry[], checkpoint = true, onResults?: (applied: AppliedEntry[]) => void): Promise<AppliedEntry[]> {
    return this.serialize(() => this.applyNow(entries, checkpoint && this.sync, onResults));
  }

  /** Resolves once every apply whose results were handed out is in the database and no snapshot install
   *  is under way: what a read waits for. */
  readable(): Promise<void> {
    return this.answered;
  }

  /** The replicated state at one point in time, for a peer that fell behind the log window. */
  snapshot(): AsyncGenerator<SnapshotRecord> {
    return exportSnapshot(this.db);
  }

  /**
   * Replaces the replicated state with a peer's snapshot (after every apply in flight is written), durably.
   * `beforeReplace` runs once the install is marked (a crash from then on loses the state, visibly): the
   * replica's log, which the snapshot outdates, is discarded there.
   */
  installSnapshot(records: AsyncIterable<SnapshotRecord>, beforeReplace: () => Promise<void>): Promise<StoreMeta> {
    const install = this.serialize(async () => {
      await installSnapshot(this.db, records, beforeReplace);
      ({ meta: this.current, sweep: this.sweep } = await readStoredMeta(this.db));
      this.clients.clear();
      for (const [id, client] of await readClients(this.db)) this.clients.set(id, client);
      this.idempotency = await readIdempotency(this.db);
      this.liveKeys = await LiveKeys.load(this.db);
      this.assemblies = await readAssemblies(this.db);
      this.tokens.replaceWith(await TokenTable.load(this.db));
      return this.meta();
    });
    // Reads wait for it: while it runs the database holds neither the old state nor the new.
    this.answered = install.then(
      () => undefined,
      () => undefined,
    );
    return install;
  }

  private async applyNow(
    entries: readonly LogEntry[],
    sync: boolean,
    onResults: ((applied: AppliedEntry[]) => void) | undefined,
  ): Promise<AppliedEntry[]> {
    const applied: AppliedEntry[] = [];
    // Usually one part; a range-reading op starts its own, each part one atomic batch (state-machine.ts).
    const parts = splitAtRangeReads(decodeEntries(entries));
    let written = Promise.resolve();
    for (const [i, part] of parts.entries()) {
      await written; // a part reads what the one before it wrote
      const started = await this.applyPart(part, sync && i === parts.length - 1);
      applied.push(...started.applied);
      written = started.written;
    }
    if (onResults) {
      this.answered = written;
      onResults(applied);
    }
    await written;
    return applied;
  }

  /** Computes a part's outcome and starts writing it; `written` resolves once it is in the database. */
  private async applyPart(decoded: readonly DecodedEntry[], sync: boolean): Promise<{ applied: AppliedEntry[]; written: Promise<void> }> {
    const stored = await this.prefetch(decoded);
    const output = applyEntries(
      {
        meta: this.current,
        historyRetainRevisions: this.historyRetainRevisions,
        clients: this.clients,
        idempotency: this.idempotency,
        tokens: this.tokens,
        assemblies: this.assemblies,
        ...stored,
      },
      decoded,
    );
    const history = historyChanges(output.events, (key) => stored.positions.get(key) ?? null);
    const { deletes, cursor } = await sweepHistory(this.db, {
      cursor: this.sweep,
      compactRevision: output.meta.compactRevision,
      stepRevisions: this.sweepStepRevisions,
      written: history.records,
    });
    const batch = this.db.batch();
    writeApply(batch, { output, history, deletes, sweep: cursor });
    const written = batch.write(writeOptions(sync)).then(() => {
      this.current = output.meta;
      this.sweep = cursor;
      for (const [clientId, client] of output.clients) this.clients.set(clientId, client);
      this.idempotency.commit(output.idempotency);
      this.liveKeys.follow(output.writes);
      this.tokens.commit(output.tokens);
      this.assemblies.commit(output.pieces);
    });
    return { applied: output.applied, written };
  }

  private async prefetch(decoded: readonly DecodedEntry[]): Promise<Prefetched> {
    const reads = readsOf(decoded);
    const positions = new Map<string, HistoryPosition>();
    const records = new Map<string, KeyRecord | null>();
    const found = (key: string, record: KeyRecord, sub: number): void => {
      records.set(key, record);
      positions.set(key, { revision: record.modRevision, sub });
    };
    const ranges = new Map<string, KeyEntry[]>();
    for (const query of reads.ranges) {
      const entries = await scanRange(this.db, query, query.limit + 1);
      for (const { key, record, sub } of entries) found(key, record, sub);
      ranges.set(
        rangeId(query),
        entries.map(({ key, record }) => ({ key, record })),
      );
    }
    const leaseKeys = new Map<number, string[]>();
    for (const lease of reads.leaseKeys) leaseKeys.set(lease, await scanLeaseKeys(this.db, lease, DELETE_RANGE_KEYS_MAX + 1));
    // Keys a range or revoke may delete are read as records too, so the lease index follows their change.
    const keys = [...new Set([...reads.keys, ...[...leaseKeys.values()].flat()])].filter((key) => !records.has(key));
    // Only keys that exist are read (live-keys.ts), and synchronously: no write lands meanwhile (applies
    // are serial), and a cached record costs microseconds where a thread-pool hop costs tens.
    for (const key of keys) {
      if (!this.liveKeys.has(key)) {
        records.set(key, null);
        continue;
      }
      const bytes = this.db.getSync(liveKey(key));
      assert.ok(bytes !== undefined, `live key '${key}' has no stored record`);
      const { record, sub } = decodeLive(bytes);
      found(key, record, sub);
    }
    // A write may detach a key from its lease, whose key count then changes.
    const leaseIds = new Set(reads.leases);
    for (const record of records.values()) if (record?.lease !== undefined) leaseIds.add(record.lease);
    const leases = new Map<number, LeaseRecord | null>();
    for (const id of leaseIds) {
      const bytes = this.db.getSync(leaseKey(id));
      leases.set(id, bytes === undefined ? null : decodeLease(bytes));
    }
    // A split put's pieces, written by earlier applies (or by this batch: then not stored yet, pieces.ts).
    const pieces = new Map<string, Uint8Array | null>();
    for (const { name, index } of reads.pieces) {
      const bytes = this.db.getSync(pieceKey(name, index));
      pieces.set(pieceId(name, index), bytes === undefined ? null : plainBytes(bytes));
    }
    return { records, positions, ranges, leases, leaseKeys, pieces };
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
