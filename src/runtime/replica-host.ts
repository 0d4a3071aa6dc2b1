// Drives a replica state machine (src/consensus) with I/O through ports (ports.ts, clock.ts): feeds it
// datagrams, persistence confirmations and ticks, and performs its effects in the documented order
// (docs/protocol.md, "The runtime contract"). The same host runs in production and in the simulator.
// - Log writes go through one serial storage queue; consecutive entry writes are group-committed into a
//   single write, and the `persisted` input that follows lets the replica ACK them all at once.
// - A view-state write is a promise to peers: every effect after it waits until it is durable.
// - Applies run strictly one after another, in slot order; entries that arrive while one is written go
//   into the next single batch.
import type { Logger } from 'pino';
import type { LogEntry } from '../consensus/log-entry.js';
import type { Peer, ReplicaEffect, ReplicaInput, ReplicaMachine, ReplicaSoftState } from '../consensus/types.js';
import type { ViewState } from '../consensus/view-state.js';
import type { AppliedEntry } from '../store/applied.js';
import { SnapshotInstallBroken } from '../store/snapshot.js';
import type { Clock } from './clock.js';
import type { AppliedStateStorage, LogStorage, Network, SnapshotSource } from './ports.js';

/** The durable log is trimmed to the replica's in-memory window once it trails by this many entries. */
export const LOG_TRIM_STEP_ENTRIES = 512;

export interface ReplicaHostOptions {
  machine: ReplicaMachine;
  log: LogStorage;
  state: AppliedStateStorage;
  snapshots: SnapshotSource;
  network: Network;
  clock: Clock;
  logger: Logger;
  /** Committed entries handed to the state store, in slot order, before they are applied. */
  onCommitted(entries: readonly LogEntry[]): void;
  /** What the state store returned for them, once written. */
  onApplied(entries: readonly AppliedEntry[]): void;
  /** A store write failed: the replica can no longer keep its promises and must stop. */
  onFatal(error: Error): void;
}

type StorageOp =
  | { kind: 'entries'; entries: LogEntry[]; epoch: number }
  | { kind: 'truncate'; afterSlot: number }
  | { kind: 'view'; view: ViewState }
  | { kind: 'trim'; belowSlot: number };

export class ReplicaHost {
  private storageQueue: StorageOp[] = [];
  private storing: Promise<void> | null = null;
  private applying: Promise<void> = Promise.resolve();
  private pendingApply: LogEntry[] = [];
  /** Set while a view-state write is pending: effects produced meanwhile wait behind it, in order. */
  private gate: Promise<void> | null = null;
  private flushScheduled = false;
  private durable = { epoch: -1, slot: 0 };
  private trimmedBelowSlot = 0;
  private seenStatus = '';

  constructor(private readonly options: ReplicaHostOptions) {}

  soft(): ReplicaSoftState {
    return this.options.machine.soft();
  }

  receive(from: Peer, bytes: Uint8Array): void {
    this.step({ kind: 'datagram', from, bytes, nowMs: this.options.clock.nowMs() });
    this.scheduleFlush();
  }

  tick(): void {
    this.step({ kind: 'tick', nowMs: this.options.clock.nowMs() });
  }

  /** Waits until everything handed to the storage ports so far is written. */
  async drain(): Promise<void> {
    // Each wait is on a pending write; a gate or loop that finished clears itself before the next check.
    while (this.gate || this.storing) await (this.gate ?? this.storing);
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
    void this.performNow(effects);
  }

  private performNow(effects: readonly ReplicaEffect[]): Promise<void> | void {
    for (let i = 0; i < effects.length; i++) {
      const effect = effects[i]!;
      switch (effect.kind) {
        case 'persist-log':
          void this.store({ kind: 'entries', entries: effect.entries, epoch: effect.epoch });
          break;
        case 'truncate-log':
          void this.store({ kind: 'truncate', afterSlot: effect.afterSlot });
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

  /** Queues a storage operation; resolves when that operation (and all before it) is written. */
  private store(op: StorageOp): Promise<void> {
    this.storageQueue.push(op);
    return (this.storing ??= this.storageLoop());
  }

  private async storageLoop(): Promise<void> {
    const { log } = this.options;
    try {
      while (this.storageQueue.length > 0) {
        const op = this.storageQueue.shift()!;
        switch (op.kind) {
          case 'entries':
            await this.writeEntries(op);
            break;
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
    await this.options.log.append(batch);
    // Writes are FIFO, so everything handed out in this epoch up to the highest slot written so far is
    // durable — including entries of earlier batches below a NO-OP that just replaced one of them.
    const batchMax = Math.max(...batch.map((e) => e.slot));
    this.durable =
      this.durable.epoch === first.epoch
        ? { epoch: first.epoch, slot: Math.max(this.durable.slot, batchMax) }
        : { epoch: first.epoch, slot: batchMax };
    this.step({ kind: 'persisted', throughSlot: this.durable.slot, epoch: first.epoch });
    this.step({ kind: 'flush', nowMs: this.options.clock.nowMs() });
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
        const meta = await state.installSnapshot(staged.records());
        logger.info({ from, appliedSlot: meta.appliedSlot }, 'snapshot installed');
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
    this.applying = this.applying
      .then(() => {
        const batch = this.pendingApply;
        this.pendingApply = [];
        return this.options.state.applyBatch(batch);
      })
      .then((applied) => {
        this.options.onApplied(applied);
        this.trimLog();
      })
      .catch((err: Error) => this.options.onFatal(err));
  }

  /** Keeps the durable log near the replica's in-memory window (which bounds what peers are served). */
  private trimLog(): void {
    const { logStart } = this.options.machine.soft();
    if (logStart - this.trimmedBelowSlot < LOG_TRIM_STEP_ENTRIES) return;
    this.trimmedBelowSlot = logStart;
    void this.store({ kind: 'trim', belowSlot: logStart });
  }
}
