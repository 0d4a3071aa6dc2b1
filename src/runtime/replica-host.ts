// Drives a replica state machine (src/consensus) with I/O through ports (ports.ts, clock.ts): feeds it
// datagrams, persistence confirmations and ticks, and performs its effects in the documented order
// (docs/protocol.md, "The runtime contract"). The same host runs in production and in the simulator.
// - Log writes go through one serial storage queue; consecutive entry writes are group-committed into a
//   single write, and the `persisted` input that follows lets the replica ACK them all at once.
// - A view-state write is a promise to peers: every effect after it waits until it is durable.
// - Applies run strictly one after another, in slot order; entries that arrive while one is written go
//   into the next single batch. Their results go to the callers once known, before the batch is written
//   (the store's reads wait for it). They are not synced: the log is the durability. Every
//   checkpointIntervalMs one apply is a synced checkpoint, and the log is trimmed only below it.
import type { Logger } from 'pino';
import type { LogEntry } from '../consensus/log-entry.js';
import type { Peer, ReplicaEffect, ReplicaInput, ReplicaMachine, ReplicaSoftState } from '../consensus/types.js';
import type { ViewState } from '../consensus/view-state.js';
import type { AppliedEntry } from '../store/applied.js';
import { SnapshotInstallBroken } from '../store/snapshot.js';
import type { Clock } from './clock.js';
import type { AppliedStateStorage, LogStorage, Network, SnapshotSource } from './ports.js';

export interface ReplicaHostOptions {
  machine: ReplicaMachine;
  log: LogStorage;
  state: AppliedStateStorage;
  snapshots: SnapshotSource;
  network: Network;
  clock: Clock;
  logger: Logger;
  /** How often an apply is a checkpoint (etcd's backend commits every 100 ms). */
  checkpointIntervalMs: number;
  /** The durable log is trimmed to the replica's window once it trails by this many entries. */
  logTrimStepEntries: number;
  /** Entries appended to the log (in memory), and then once they are durable: for per-stage latency. */
  onLogged(entries: readonly LogEntry[]): void;
  onDurable(entries: readonly LogEntry[]): void;
  /** Committed entries handed to the state store, in slot order, before they are applied. */
  onCommitted(entries: readonly LogEntry[]): void;
  /** What applying them returned, as soon as the state store knows it (before its batch is written). */
  onApplied(entries: readonly AppliedEntry[]): void;
  /** A snapshot replaced the state store: what it holds moved on with no apply to announce it. */
  onSnapshotInstalled(): void;
  /** A store write failed: the replica can no longer keep its promises and must stop. */
  onFatal(error: Error): void;
}

type StorageOp =
  | { kind: 'entries'; entries: LogEntry[]; epoch: number }
  | { kind: 'truncate'; afterSlot: number }
  | { kind: 'view'; view: ViewState }
  | { kind: 'trim'; belowSlot: number };

interface QueuedWrite {
  op: StorageOp;
  /** Resolves once this operation is written. */
  done(): void;
}

export class ReplicaHost {
  private storageQueue: QueuedWrite[] = [];
  private storing: Promise<void> | null = null;
  private applying: Promise<void> = Promise.resolve();
  private pendingApply: LogEntry[] = [];
  /** While a view-state write is pending, every effect produced waits here, in order, behind it. */
  private waiting: ReplicaEffect[] | null = null;
  private flushScheduled = false;
  /** The highest slot written so far in the current persist epoch. */
  private written = { epoch: -1, slot: 0 };
  private trimmedBelowSlot = 0;
  /**
   * The last slot a checkpoint made durable in the state store. None at start: what a restart finds may
   * itself be unsynced (a killed process leaves its writes to the OS), so the first apply is a checkpoint.
   */
  private checkpointedSlot = 0;
  private lastCheckpointMs = Number.NEGATIVE_INFINITY;
  private seenStatus = '';
  /** Set by stop(): datagrams and ticks after it are ignored, so nothing writes to a store being closed. */
  private stopped = false;

  constructor(private readonly options: ReplicaHostOptions) {}

  soft(): ReplicaSoftState {
    return this.options.machine.soft();
  }

  receive(from: Peer, bytes: Uint8Array): void {
    if (this.stopped) return;
    this.step({ kind: 'datagram', from, bytes, nowMs: this.options.clock.nowMs() });
    this.scheduleFlush();
  }

  tick(): void {
    if (this.stopped) return;
    this.step({ kind: 'tick', nowMs: this.options.clock.nowMs() });
  }

  /**
   * Takes no more input, then waits for the writes handed out. A datagram still arriving while the
   * process shuts down (its sockets close after its HTTP server) would otherwise start a write that the
   * store's close fails, and a failed write is fatal.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.drain();
  }

  /** Waits until everything handed to the storage ports so far is written. */
  async drain(): Promise<void> {
    // Each wait is on a pending write; a loop that finished clears itself before the next check.
    while (this.storing) await this.storing;
    await this.applying;
  }

  private step(input: ReplicaInput): void {
    this.perform(this.options.machine.step(input));
    this.logTransitions();
  }

  /** Status, view and session changes are rare and worth a log line each. */
  private logTransitions(): void {
    const soft = this.options.machine.soft();
    const now = `${soft.status}/${soft.view}/${soft.session}/${soft.sequencerId}`;
    if (now === this.seenStatus) return;
    this.seenStatus = now;
    const { status, view, session, sequencerId, sessionBase, through, commit, applied } = soft;
    this.options.logger.info({ status, view, session, sequencer: sequencerId, sessionBase, through, commit, applied }, 'replica status');
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // One ACK per burst of datagrams, not one per datagram.
    this.options.clock.defer(() => {
      this.flushScheduled = false;
      this.step({ kind: 'flush', nowMs: this.options.clock.nowMs() });
    });
  }

  /** Performs effects in list order; a view-state write holds back everything after it until it is durable. */
  private perform(effects: readonly ReplicaEffect[]): void {
    if (this.waiting !== null) {
      this.waiting.push(...effects);
      return;
    }
    for (let i = 0; i < effects.length; i++) {
      const effect = effects[i]!;
      switch (effect.kind) {
        case 'persist-log':
          this.options.onLogged(effect.entries);
          void this.store({ kind: 'entries', entries: effect.entries, epoch: effect.epoch });
          break;
        case 'truncate-log':
          void this.store({ kind: 'truncate', afterSlot: effect.afterSlot });
          break;
        case 'persist-view':
          this.waiting = effects.slice(i + 1);
          void this.store({ kind: 'view', view: effect.view }).then(() => {
            const held = this.waiting ?? [];
            this.waiting = null;
            this.perform(held);
          });
          return;
        case 'send':
          this.options.network.send(effect.to, effect.bytes);
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

  /** Queues a storage operation; resolves when that operation is written (they are written in order). */
  private store(op: StorageOp): Promise<void> {
    return new Promise((done) => {
      this.storageQueue.push({ op, done });
      this.storing ??= this.storageLoop();
    });
  }

  private async storageLoop(): Promise<void> {
    const { log } = this.options;
    try {
      while (this.storageQueue.length > 0) {
        const write = this.storageQueue.shift()!;
        const { op } = write;
        switch (op.kind) {
          case 'entries':
            await this.writeEntries(write);
            continue;
          case 'truncate':
            await log.truncateAfter(op.afterSlot);
            break;
          case 'view':
            await log.saveView(op.view);
            break;
          case 'trim':
            await log.trimBelow(op.belowSlot);
            break;
        }
        write.done();
      }
    } catch (err) {
      this.options.onFatal(err as Error);
    } finally {
      this.storing = null;
    }
  }

  /** Group commit: this write takes every queued entry write of the same epoch right behind it. */
  private async writeEntries(first: QueuedWrite): Promise<void> {
    const { epoch } = first.op as Extract<StorageOp, { kind: 'entries' }>;
    const merged = [first];
    while (this.storageQueue[0]?.op.kind === 'entries' && this.storageQueue[0].op.epoch === epoch) merged.push(this.storageQueue.shift()!);
    const batch = merged.flatMap((write) => (write.op as Extract<StorageOp, { kind: 'entries' }>).entries);
    await this.options.log.append(batch);
    this.options.onDurable(batch);
    for (const write of merged) write.done();
    const batchMax = Math.max(...batch.map((e) => e.slot));
    this.written = this.written.epoch === epoch ? { epoch, slot: Math.max(this.written.slot, batchMax) } : { epoch, slot: batchMax };
    this.step({ kind: 'persisted', throughSlot: this.durableThrough(epoch), epoch });
    this.step({ kind: 'flush', nowMs: this.options.clock.nowMs() });
  }

  /**
   * Writes are FIFO, so every slot up to the highest written in this epoch is durable — except a slot that a
   * write still queued rewrites (a NO-OP replacing a request already written): nothing from there on is.
   */
  private durableThrough(epoch: number): number {
    let queuedMin = Number.POSITIVE_INFINITY;
    for (const { op } of this.storageQueue) {
      if (op.kind === 'entries' && op.epoch === epoch) for (const entry of op.entries) queuedMin = Math.min(queuedMin, entry.slot);
    }
    return Math.min(this.written.slot, queuedMin - 1);
  }

  private installSnapshot(from: number): void {
    const { logger, snapshots, state } = this.options;
    logger.info({ from }, 'fetching a snapshot: the log window of peers no longer reaches back far enough');
    // Applies already handed to the store finish first; the store serializes the install behind them.
    this.applying = this.applying.then(async () => {
      let staged;
      try {
        staged = await snapshots.fetch(from);
      } catch (err) {
        // A transfer that broke before the install began left the store as it was: ask again later.
        logger.warn({ err, from }, 'snapshot transfer failed');
        return this.step({ kind: 'snapshot-failed', nowMs: this.options.clock.nowMs() });
      }
      try {
        // The log is discarded once the install is marked: its entries belong to the state being replaced.
        const meta = await state.installSnapshot(staged.records(), () => this.store({ kind: 'truncate', afterSlot: 0 }));
        this.checkpointedSlot = meta.appliedSlot;
        logger.info({ from, appliedSlot: meta.appliedSlot }, 'snapshot installed');
        this.options.onSnapshotInstalled();
        this.step({ kind: 'snapshot-installed', appliedSlot: meta.appliedSlot, nowMs: this.options.clock.nowMs() });
      } catch (err) {
        // One that broke during the install destroyed the state: only a restart (which discards the rest
        // and recovers from the peers) is safe now.
        if (err instanceof SnapshotInstallBroken) return this.options.onFatal(err);
        logger.warn({ err, from }, 'snapshot install refused');
        this.step({ kind: 'snapshot-failed', nowMs: this.options.clock.nowMs() });
      } finally {
        await staged.discard();
      }
    });
  }

  /** Group apply: entries that arrive while an apply is being written go into the next single batch. */
  private enqueueApply(entries: LogEntry[]): void {
    this.options.onCommitted(entries);
    const linkQueued = this.pendingApply.length > 0;
    this.pendingApply.push(...entries);
    if (linkQueued) return; // The queued link takes these too; slots stay in order.
    let checkpoint = false;
    this.applying = this.applying
      .then(() => {
        const batch = this.pendingApply;
        this.pendingApply = [];
        const nowMs = this.options.clock.nowMs();
        checkpoint = nowMs - this.lastCheckpointMs >= this.options.checkpointIntervalMs;
        if (checkpoint) this.lastCheckpointMs = nowMs;
        // Callers are answered once the results are known; the next batch waits for this one's write.
        return this.options.state.applyBatch(batch, checkpoint, (applied) => this.options.onApplied(applied));
      })
      .then((applied) => {
        if (checkpoint) this.checkpointedSlot = applied.at(-1)?.slot ?? this.checkpointedSlot;
        this.trimLog();
      })
      .catch((err: Error) => this.options.onFatal(err));
  }

  /**
   * Keeps the durable log near the replica's in-memory window (which bounds what peers are served), but never
   * past the last checkpoint: a restart replays every entry applied since.
   */
  private trimLog(): void {
    const belowSlot = Math.min(this.options.machine.soft().logStart, this.checkpointedSlot + 1);
    if (belowSlot - this.trimmedBelowSlot < this.options.logTrimStepEntries) return;
    this.trimmedBelowSlot = belowSlot;
    void this.store({ kind: 'trim', belowSlot });
  }
}
