// A replica's state machine on LevelDB (DESIGN.md §4): persists the log as the durability mode asks, and
// applies committed entries so that data, client table and applied index change in ONE atomic batch.
import assert from 'node:assert/strict';
import type { Durability } from '../config/cluster.js';
import type { KeyRecord } from './ops.js';
import type { AppliedEntry, LogEntry, StoreMeta } from './log-entry.js';
import type { ClientState } from './client-table.js';
import { applyEntries, decodeEntries, keysTouched } from './state-machine.js';
import { applyWrites } from './apply-writes.js';
import { decodeKeyRecord, decodeLogEntry, encodeLogEntry, encodeMeta } from './codec.js';
import { logKey, META_KEY } from './keys.js';
import { openSublevels, readClients, readMeta, type Sublevels } from './level-db.js';

/** Applied entries kept in `log` so that lagging peers can still be served from it. */
export const LOG_RETAIN_ENTRIES_DEFAULT = 10_000;

/**
 * Truncation deletes, per apply batch, the entries that batch pushed out of the retained window plus at
 * most this many older leftovers (a finished session's tail), so no single batch grows without bound.
 */
export const LOG_TRUNCATE_BACKLOG_ENTRIES_PER_BATCH = 1_024;

export interface KvStoreOptions {
  durability: Durability;
  logRetainEntries?: number;
}

export class KvStore {
  // applyBatch and saveView both rewrite meta from the in-memory copy, so they run one after the other.
  private metaWrites: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly sublevels: Sublevels,
    private readonly durability: Durability,
    private readonly logRetainEntries: number,
    private current: StoreMeta,
    private readonly clients: Map<number, ClientState>,
  ) {}

  static async open(dir: string, options: KvStoreOptions): Promise<KvStore> {
    const logRetainEntries = options.logRetainEntries ?? LOG_RETAIN_ENTRIES_DEFAULT;
    assert.ok(Number.isSafeInteger(logRetainEntries) && logRetainEntries >= 1, `logRetainEntries must be a positive integer, got ${logRetainEntries}`);
    const sublevels = await openSublevels(dir);
    try {
      const meta = await readMeta(sublevels.meta);
      const clients = await readClients(sublevels.clients);
      return new KvStore(sublevels, options.durability, logRetainEntries, meta, clients);
    } catch (err) {
      await sublevels.db.close();
      throw err;
    }
  }

  /** A copy of the applied state's meta; it changes only when a write of it has reached LevelDB. */
  meta(): StoreMeta {
    return { ...this.current };
  }

  // Only 'fsync' waits for the disk: 'async' leaves it to the OS, 'memory' relies on the quorum instead.
  private get sync(): boolean {
    return this.durability === 'fsync';
  }

  /** Persists entries before they are acknowledged; one batch, so one fsync per group of entries. */
  async persistLog(entries: readonly LogEntry[]): Promise<void> {
    if (this.durability === 'memory' || entries.length === 0) return;
    const { db, log } = this.sublevels;
    await db.batch(
      entries.map((entry) => ({ type: 'put' as const, sublevel: log, key: logKey(entry.session, entry.seq), value: encodeLogEntry(entry) })),
      { sync: this.sync },
    );
  }

  /**
   * The persisted entries after the applied point, in (session, seq) order, for replay after a restart.
   * Their number is bounded by what the consensus layer persists ahead of applying.
   */
  async loadLog(): Promise<LogEntry[]> {
    const entries: LogEntry[] = [];
    for await (const [key, bytes] of this.sublevels.log.iterator({ gt: logKey(this.current.session, this.current.appliedSeq) })) {
      const entry = decodeLogEntry(bytes);
      assert.equal(logKey(entry.session, entry.seq), key, 'log entry stored under another slot');
      entries.push(entry);
    }
    return entries;
  }

  /** Applies committed entries, which must continue exactly where meta stopped (state-machine.ts). */
  applyBatch(entries: readonly LogEntry[]): Promise<AppliedEntry[]> {
    return this.serialize(() => this.applyNow(entries));
  }

  private async applyNow(entries: readonly LogEntry[]): Promise<AppliedEntry[]> {
    if (entries.length === 0) return [];
    const decoded = decodeEntries(entries);
    const keys = keysTouched(decoded);
    const stored = await this.sublevels.kv.getMany(keys);
    const records = new Map(keys.map((key, i) => [key, decodeOptionalRecord(stored[i])] as const));
    const output = applyEntries({ meta: this.current, records, clients: this.clients }, decoded);
    const truncated = await this.logKeysToTruncate(output.meta, entries.length);
    await this.sublevels.db.batch(applyWrites(this.sublevels, output, this.clients, truncated), { sync: this.sync });
    this.current = output.meta;
    for (const [clientId, client] of output.clients) this.clients.set(clientId, client);
    return output.applied;
  }

  private async logKeysToTruncate(meta: StoreMeta, appliedEntries: number): Promise<string[]> {
    if (this.durability === 'memory') return [];
    // Keeps seqs (appliedSeq - retain, appliedSeq] of the current session; earlier sessions are finished.
    const oldestKept = Math.max(1, meta.appliedSeq - this.logRetainEntries + 1);
    return this.sublevels.log.keys({ lt: logKey(meta.session, oldestKept), limit: appliedEntries + LOG_TRUNCATE_BACKLOG_ENTRIES_PER_BATCH }).all();
  }

  /**
   * Persists the view (and session) the consensus layer moved to. A newer session declares the old one
   * finished, so nothing of the new session is applied yet: appliedSeq restarts at 0.
   */
  saveView(view: number, session: number): Promise<void> {
    return this.serialize(async () => {
      assert.ok(view >= this.current.view, `view must not go back from ${this.current.view} to ${view}`);
      assert.ok(session >= this.current.session, `session must not go back from ${this.current.session} to ${session}`);
      const appliedSeq = session === this.current.session ? this.current.appliedSeq : 0;
      const next: StoreMeta = { ...this.current, view, session, appliedSeq };
      // Through the root database: only its write options carry `sync`.
      const { db, meta } = this.sublevels;
      await db.batch([{ type: 'put', sublevel: meta, key: META_KEY, value: encodeMeta(next) }], { sync: this.sync });
      this.current = next;
    });
  }

  /** The applied state of one key; may be stale with respect to the cluster. */
  async read(key: string): Promise<KeyRecord | null> {
    return decodeOptionalRecord(await this.sublevels.kv.get(key));
  }

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
