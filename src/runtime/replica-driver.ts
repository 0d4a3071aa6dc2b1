// Drives the pure replica state machine with real I/O: feeds it datagrams, persistence confirmations
// and ticks, and performs its effects in the documented order. Persistence is group-committed: entries
// that arrive while a log write is in flight go into the next single write, and the ACK that follows
// covers them all. Applies run strictly one after another, in seq order.
import type { Logger } from 'pino';
import { stepReplica, type ReplicaEffect, type ReplicaInput, type ReplicaState } from '../consensus/replica.js';
import type { KvStore } from '../store/kv-store.js';
import type { AppliedEntry, LogEntry } from '../store/log-entry.js';

export interface ReplicaDriverOptions {
  state: ReplicaState;
  store: KvStore;
  logger: Logger;
  sendToSequencer(bytes: Uint8Array): void;
  onApplied(entries: readonly AppliedEntry[]): void;
  /** A store write failed: the replica can no longer promise durability and must stop. */
  onFatal(error: Error): void;
}

export class ReplicaDriver {
  private persistQueue: LogEntry[] = [];
  private persisting: Promise<void> | null = null;
  private applying: Promise<void> = Promise.resolve();
  private flushScheduled = false;

  constructor(private readonly options: ReplicaDriverOptions) {}

  get state(): ReplicaState {
    return this.options.state;
  }

  step(input: ReplicaInput): void {
    this.perform(stepReplica(this.options.state, input));
    if (input.kind === 'datagram') this.scheduleFlush();
  }

  /** Waits until everything handed to the store so far is written. */
  async drain(): Promise<void> {
    while (this.persisting) await this.persisting;
    await this.applying;
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // One ACK per burst of datagrams, not one per datagram.
    setImmediate(() => {
      this.flushScheduled = false;
      this.step({ kind: 'flush' });
    });
  }

  private perform(effects: readonly ReplicaEffect[]): void {
    for (const effect of effects) {
      switch (effect.kind) {
        case 'persist':
          this.persistQueue.push(...effect.entries);
          this.persisting ??= this.persistLoop();
          break;
        case 'send':
          this.options.sendToSequencer(effect.bytes);
          break;
        case 'apply':
          this.enqueueApply(effect.entries);
          break;
      }
    }
  }

  private async persistLoop(): Promise<void> {
    try {
      while (this.persistQueue.length > 0) {
        const batch = this.persistQueue;
        this.persistQueue = [];
        await this.options.store.persistLog(batch);
        const last = batch[batch.length - 1];
        if (last) this.step({ kind: 'persisted', through: last.seq });
        this.step({ kind: 'flush' });
      }
    } catch (err) {
      this.options.onFatal(err as Error);
    } finally {
      this.persisting = null;
    }
  }

  private enqueueApply(entries: LogEntry[]): void {
    this.applying = this.applying
      .then(() => this.options.store.applyBatch(entries))
      .then((applied) => this.options.onApplied(applied))
      .catch((err: Error) => this.options.onFatal(err));
  }
}
