// The replica's durable log and view state (docs/design.md §3, §4): the log in a write-ahead log of its
// own (wal/), the view state in the database's `meta` sublevel. The replica host writes them in the order
// the replica's effects say — one operation at a time, so a truncation never races the entries that
// replace the discarded tail. With durability 'memory' the log is not written at all; the view state is
// written whatever the mode.
import assert from 'node:assert/strict';
import type { Durability } from '../config/cluster.js';
import type { LogEntry } from '../consensus/log-entry.js';
import type { ViewState } from '../consensus/view-state.js';
import { encodeViewState } from './codec.js';
import { readViewState, type Sublevels, writeOptions } from './database.js';
import { VIEW_STATE_KEY } from './keys.js';
import type { WalFolder } from './wal/files.js';
import { WriteAheadLog, type WalOptions } from './wal/write-ahead-log.js';

export class ReplicaLog {
  private restored: LogEntry[] | null;

  private constructor(
    private readonly sublevels: Pick<Sublevels, 'db' | 'meta'>,
    /** null with durability 'memory'. */
    private readonly wal: WriteAheadLog | null,
    restored: LogEntry[],
    /** Bytes of a torn final write that opening cut off. */
    readonly tornBytes: number,
    private current: ViewState | null,
  ) {
    this.restored = restored;
  }

  static async open(
    sublevels: Pick<Sublevels, 'db' | 'meta'>,
    folder: WalFolder,
    durability: Durability,
    options: WalOptions = {},
  ): Promise<ReplicaLog> {
    const view = await readViewState(sublevels.meta);
    if (durability === 'memory') return new ReplicaLog(sublevels, null, [], 0, view);
    const { wal, entries, tornBytes } = await WriteAheadLog.open(folder, options);
    return new ReplicaLog(sublevels, wal, entries, tornBytes, view);
  }

  /**
   * The view state last saved; null for a fresh store. With durability 'memory' it survives a restart too,
   * but recovery must not trust the rest (docs/design.md §3).
   */
  viewState(): ViewState | null {
    return this.current === null ? null : { ...this.current };
  }

  /** The entries found at open, in slot order: the retained applied window and the tail. Taken once. */
  load(): Promise<LogEntry[]> {
    const entries = this.restored;
    assert.ok(entries !== null, 'the restored log was already taken');
    this.restored = null;
    return Promise.resolve(entries);
  }

  /** An entry replaces whatever is stored at its slot (gap agreement turns a slot into a NO-OP that way). */
  async append(entries: readonly LogEntry[]): Promise<void> {
    if (this.wal !== null && entries.length > 0) await this.wal.append(entries);
  }

  /** Deletes every entry past `afterSlot`: the uncommitted tail a view change did not keep (0: all of them). */
  async truncateAfter(afterSlot: number): Promise<void> {
    await this.wal?.truncateAfter(afterSlot);
  }

  /** Forgets applied entries below `slot` that no peer will be served from any more, a segment at a time. */
  async trimBelow(slot: number): Promise<void> {
    await this.wal?.trimBelow(slot);
  }

  /**
   * The view state is a promise to peers, so it is synced whatever the durability mode: it is also what
   * tells a replica that lost its data from a fresh one, and it is written only on view changes.
   */
  async saveView(state: ViewState): Promise<void> {
    const next = { ...state };
    assert.ok(next.lastNormalView <= next.view, `last normal view ${next.lastNormalView} is past view ${next.view}`);
    assert.ok(next.lastNormalSession <= next.session, `last normal session ${next.lastNormalSession} is past session ${next.session}`);
    // Through the root database: only its write options carry `sync`.
    const { db, meta } = this.sublevels;
    await db.batch([{ type: 'put', sublevel: meta, key: VIEW_STATE_KEY, value: encodeViewState(next) }], writeOptions(true));
    this.current = next;
  }

  async close(): Promise<void> {
    await this.wal?.close();
  }
}
