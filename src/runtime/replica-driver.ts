// Drives the pure replica state machine with real I/O: feeds it datagrams, persistence confirmations
// and ticks, and performs its effects in the documented order (src/consensus/types.ts).
// - Log writes go through one serial storage queue; consecutive entry writes are group-committed into a
//   single LevelDB batch, and the `persisted` input that follows lets the replica ACK them all at once.
// - A view-state write is a promise to peers: every effect after it waits until it is on disk.
// - Applies run strictly one after another, in slot order.
import type { Logger } from 'pino';
import { stepReplica, type ReplicaState } from '../consensus/replica.js';
import type { Peer, ReplicaEffect, ReplicaInput, ViewState } from '../consensus/types.js';
import type { KvStore } from '../store/kv-store.js';
import type { AppliedEntry, LogEntry } from '../store/log-entry.js';
import { SnapshotInstallBroken } from '../store/snapshot.js';

export interface ReplicaDriverOptions {
  state: ReplicaState;
  store: KvStore;
  logger: Logger;
  send(to: Peer, bytes: Uint8Array): void;
  onApplied(entries: readonly AppliedEntry[]): void;
  /** A store write failed: the replica can no longer keep its promises and must stop. */
  onFatal(error: Error): void;
  /** Installs replica `from`'s snapshot into the store; resolves with its applied slot. */
  fetchSnapshot(from: number): Promise<number>;
  nowMs(): number;
}

type StorageOp =
  { kind: 'entries'; entries: LogEntry[]; epoch: number } | { kind: 'truncate'; afterSlot: number } | { kind: 'view'; view: ViewState };

export class ReplicaDriver {
  private storageQueue: StorageOp[] = [];
  private storing: Promise<void> | null = null;
  private applying: Promise<void> = Promise.resolve();
  private pendingApply: LogEntry[] = [];
  /** Set while a view-state write is pending: effects produced meanwhile wait behind it, in order. */
  private gate: Promise<void> | null = null;
  private flushScheduled = false;
  private durable = { epoch: -1, slot: 0 };

  constructor(private readonly options: ReplicaDriverOptions) {}

  get state(): ReplicaState {
    return this.options.state;
  }

  step(input: ReplicaInput): void {
    this.perform(stepReplica(this.options.state, input));
    if (input.kind === 'datagram') this.scheduleFlush();
    this.logTransitions();
  }

  private seen = '';

  /** Status, view and session changes are rare and worth a log line each. */
  private logTransitions(): void {
    const { status, vs, through, commit, applied } = this.options.state;
    const now = `${status}/${vs.view}/${vs.session}/${vs.sequencerId}`;
    if (now === this.seen) return;
    this.seen = now;
    this.options.logger.info(
      { status, view: vs.view, session: vs.session, sequencer: vs.sequencerId, sessionBase: vs.sessionBase, through, commit, applied },
      'replica status',
    );
  }

  /** Waits until everything handed to the store so far is written. */
  async drain(): Promise<void> {
    // Each wait is on a pending write; a gate or loop that finished clears itself before the next check.
    while (this.gate || this.storing) await (this.gate ?? this.storing);
    await this.applying;
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // One ACK per burst of datagrams, not one per datagram.
    setImmediate(() => {
      this.flushScheduled = false;
      this.step({ kind: 'flush', nowMs: this.options.nowMs() });
    });
  }

  private perform(effects: readonly ReplicaEffect[]): void {
    if (effects.length === 0) return;
    if (this.gate) {
      const chained: Promise<void> = this.gate.then(() => this.performNow(effects));
      this.gate = chained;
      // The gate opens once everything queued behind it ran (and no newer gate replaced it).
      void chained.then(() => {
        if (this.gate === chained) this.gate = null;
      });
      return;
    }
    this.performNow(effects);
  }

  private performNow(effects: readonly ReplicaEffect[]): Promise<void> | void {
    for (let i = 0; i < effects.length; i++) {
      const effect = effects[i]!;
      switch (effect.kind) {
        case 'persist-log':
          this.store({ kind: 'entries', entries: effect.entries, epoch: effect.epoch });
          break;
        case 'truncate-log':
          this.store({ kind: 'truncate', afterSlot: effect.afterSlot });
          break;
        case 'persist-view': {
          const written = this.store({ kind: 'view', view: effect.view });
          const rest = effects.slice(i + 1);
          const gate: Promise<void> = written.then(() => {
            if (this.gate === gate) this.gate = null;
            return this.performNow(rest);
          });
          this.gate = gate;
          return gate;
        }
        case 'send':
          this.options.send(effect.to, effect.bytes);
          break;
        case 'apply':
          this.enqueueApply(effect.entries);
          break;
        case 'fetch-snapshot':
          this.installSnapshot(effect.from);
          break;
      }
    }
  }

  /** Queues a storage operation; resolves when that operation (and all before it) is written. */
  private store(op: StorageOp): Promise<void> {
    this.storageQueue.push(op);
    const done = (this.storing ??= this.storageLoop());
    return done;
  }

  private async storageLoop(): Promise<void> {
    try {
      while (this.storageQueue.length > 0) {
        const op = this.storageQueue.shift()!;
        if (op.kind === 'entries') {
          await this.writeEntries(op);
        } else if (op.kind === 'truncate') {
          await this.options.store.truncateLog(op.afterSlot);
        } else {
          await this.options.store.saveViewState(op.view);
        }
      }
    } catch (err) {
      this.options.onFatal(err as Error);
    } finally {
      this.storing = null;
    }
  }

  /** Group commit: this write takes every queued entry write of the same epoch right behind it. */
  private async writeEntries(first: { entries: LogEntry[]; epoch: number }): Promise<void> {
    const batch = [...first.entries];
    while (this.storageQueue[0]?.kind === 'entries' && this.storageQueue[0].epoch === first.epoch) {
      batch.push(...(this.storageQueue.shift() as { entries: LogEntry[] }).entries);
    }
    await this.options.store.persistLog(batch);
    // Writes are FIFO, so everything handed out in this epoch up to the highest slot written so far is
    // durable — including entries of earlier batches below a NO-OP that just replaced one of them.
    const batchMax = Math.max(...batch.map((e) => e.slot));
    this.durable =
      this.durable.epoch === first.epoch
        ? { epoch: first.epoch, slot: Math.max(this.durable.slot, batchMax) }
        : { epoch: first.epoch, slot: batchMax };
    this.step({ kind: 'persisted', throughSlot: this.durable.slot, epoch: first.epoch });
    this.step({ kind: 'flush', nowMs: this.options.nowMs() });
  }

  private installSnapshot(from: number): void {
    const { logger } = this.options;
    logger.info({ from }, 'fetching a snapshot: the log window of peers no longer reaches back far enough');
    // Applies already handed to the store finish first; the store serializes the install behind them.
    this.applying = this.applying
      .then(() => this.options.fetchSnapshot(from))
      .then(
        (appliedSlot) => {
          logger.info({ from, appliedSlot }, 'snapshot installed');
          this.step({ kind: 'snapshot-installed', appliedSlot, nowMs: this.options.nowMs() });
        },
        (err: Error) => {
          // A transfer that broke before the install began left the store as it was: ask again later.
          // One that broke during it destroyed the state: only a restart (which discards the rest and
          // recovers from the peers) is safe now.
          if (err instanceof SnapshotInstallBroken) return this.options.onFatal(err);
          logger.warn({ err, from }, 'snapshot transfer failed');
          this.step({ kind: 'snapshot-failed', nowMs: this.options.nowMs() });
        },
      );
  }

  /** Group apply: entries that arrive while an apply is being written go into the next single batch
   *  (one LevelDB write, one sync) instead of one batch per COMMIT notice. */
  private enqueueApply(entries: LogEntry[]): void {
    const linkQueued = this.pendingApply.length > 0;
    this.pendingApply.push(...entries);
    if (linkQueued) return; // The queued link takes these too; slots stay in order.
    this.applying = this.applying
      .then(() => {
        const batch = this.pendingApply;
        this.pendingApply = [];
        return this.options.store.applyBatch(batch);
      })
      .then((applied) => this.options.onApplied(applied))
      .catch((err: Error) => this.options.onFatal(err));
  }
}
