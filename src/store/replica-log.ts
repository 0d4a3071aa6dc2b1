// The replica's durable log and view state (docs/design.md §3, §4), in the database's `log` and `meta`
// sublevels. The replica host writes them in the order the replica's effects say — one operation at a
// time, so a truncation never races the entries that replace the discarded tail. The applied state lives
// apart (state-store.ts); only the view state is written whatever the durability mode.
import assert from 'node:assert/strict';
import type { Durability } from '../config/cluster.js';
import type { LogEntry } from '../consensus/log-entry.js';
import type { ViewState } from '../consensus/view-state.js';
import { decodeLogEntry, encodeLogEntry, encodeViewState } from './codec.js';
import { readViewState, type Sublevels, writeOptions } from './database.js';
import { logKey, VIEW_STATE_KEY } from './keys.js';

/** A trim deletes at most this many entries; the next one continues (a lowered retention window). */
export const LOG_TRIM_ENTRIES_PER_CALL_MAX = 4_096;

export class ReplicaLog {
  private constructor(
    private readonly sublevels: Pick<Sublevels, 'db' | 'log' | 'meta'>,
    private readonly durability: Durability,
    private current: ViewState | null,
  ) {}

  static async open(sublevels: Pick<Sublevels, 'db' | 'log' | 'meta'>, durability: Durability): Promise<ReplicaLog> {
    return new ReplicaLog(sublevels, durability, await readViewState(sublevels.meta));
  }

  /**
   * The view state last saved; null for a fresh store. With durability 'memory' it survives a restart too,
   * but recovery must not trust the rest (docs/design.md §3).
   */
  viewState(): ViewState | null {
    return this.current === null ? null : { ...this.current };
  }

  // Only 'fsync' waits for the disk: 'async' leaves it to the OS, 'memory' relies on the quorum instead.
  private get sync(): boolean {
    return this.durability === 'fsync';
  }

  /** An entry replaces whatever is stored at its slot (gap agreement turns a slot into a NO-OP that way). */
  async append(entries: readonly LogEntry[]): Promise<void> {
    if (this.durability === 'memory' || entries.length === 0) return;
    const { db, log } = this.sublevels;
    await db.batch(
      entries.map((entry) => ({ type: 'put' as const, sublevel: log, key: logKey(entry.slot), value: encodeLogEntry(entry) })),
      writeOptions(this.sync),
    );
  }

  /** Deletes every entry past `afterSlot`: the uncommitted tail a view change did not keep. */
  async truncateAfter(afterSlot: number): Promise<void> {
    assert.ok(Number.isSafeInteger(afterSlot) && afterSlot >= 0, `afterSlot must be a non-negative safe integer, got ${afterSlot}`);
    if (this.durability === 'memory') return;
    const { db, log } = this.sublevels;
    // Bounded by what the replica holds ahead of applying.
    const doomed = await log.keys({ gt: logKey(afterSlot) }).all();
    await db.batch(
      doomed.map((key) => ({ type: 'del' as const, sublevel: log, key })),
      writeOptions(this.sync),
    );
  }

  /** Forgets applied entries below `slot` that no peer will be served from any more (not synced: losing a
   *  trim to a crash only leaves entries a restart trims again). */
  async trimBelow(slot: number): Promise<void> {
    if (this.durability === 'memory') return;
    const { db, log } = this.sublevels;
    const doomed = await log.keys({ lt: logKey(slot), limit: LOG_TRIM_ENTRIES_PER_CALL_MAX }).all();
    if (doomed.length > 0) await db.batch(doomed.map((key) => ({ type: 'del' as const, sublevel: log, key })));
  }

  /** Every stored entry in slot order, for replay after a restart: the retained applied window and the tail. */
  async load(): Promise<LogEntry[]> {
    const entries: LogEntry[] = [];
    for await (const [key, bytes] of this.sublevels.log.iterator()) {
      const entry = decodeLogEntry(bytes);
      assert.equal(logKey(entry.slot), key, `log entry of slot ${entry.slot} stored under key ${key}`);
      entries.push(entry);
    }
    return entries;
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
}
