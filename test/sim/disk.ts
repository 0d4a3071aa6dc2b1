// A replica's simulated disk with honest durability, following what src/store/kv-store.ts really writes
// (docs/design.md §4). Writes go through one queue with group commit, like LevelDB's write path: when the disk
// is free it takes every queued write as one batch, which completes after a short random delay. A crash is
// a machine crash: what survives depends on the mode.
//   fsync  — a batch is durable when it completes; applied state is durable when applied.
//   async  — completed writes (and applies) sit in the OS buffer until the next periodic OS flush; a crash
//            loses the buffer, so a restart may come back with a shorter log and an older applied state.
//   memory — the log is never written; the store discards all replicated state at every start and reports
//            it lost.
// In every mode the view state is synced when written (kv-store.ts saveViewState): it is what tells a
// replica that lost its data from a fresh one, and it changes only on view changes.
// A crash also drops queued writes and silences their completion callbacks. A snapshot install is marked
// durably before it starts clearing the store; a crash or a failed transfer leaves the marker, and the
// next start discards the half-written state and reports it lost (src/store/snapshot.ts).
import type { Durability } from '../../src/config/cluster.js';
import type { ViewState } from '../../src/consensus/types.js';
import type { LogEntry } from '../../src/consensus/log-entry.js';
import type { Prng } from './prng.js';
import type { Scheduler } from './scheduler.js';
import type { AppliedState } from './sim-store.js';
import { emptyAppliedState } from './sim-store.js';

export type DiskWrite =
  { kind: 'log'; entries: LogEntry[] } | { kind: 'truncate-log'; afterSlot: number } | { kind: 'view'; view: ViewState };

export interface DiskTiming {
  writeMsMin: number;
  writeMsMax: number;
  /** Async mode: how often the OS writes its buffer out. */
  osFlushIntervalMs: number;
}

/** What a restarted replica finds. */
export interface DiskImage {
  viewState: ViewState | null;
  /** Ascending slot order. */
  log: LogEntry[];
  applied: AppliedState;
  /** The store discarded state this replica may have acknowledged. */
  stateLost: boolean;
}

/** Writes queued behind the one in progress; a replica that outruns its disk by this much is a bug. */
export const DISK_QUEUE_WRITES_MAX = 100_000;

interface Queued {
  write: DiskWrite | { kind: 'applied'; state: AppliedState };
  onDone: (() => void) | null;
}

export class SimDisk {
  private viewState: ViewState | null = null;
  private readonly log = new Map<number, LogEntry>();
  private applied: AppliedState = emptyAppliedState();
  private queue: Queued[] = [];
  private busy = false;
  /** Async mode: completed writes the OS has not flushed yet. */
  private osBuffer: Queued['write'][] = [];
  /** Bumped by a crash, so completions scheduled before it do nothing. */
  private epoch = 0;
  /** The durable marker of a snapshot install that has not finished. */
  private installing = false;

  constructor(
    readonly durability: Durability,
    private readonly scheduler: Scheduler,
    private readonly prng: Prng,
    private readonly timing: DiskTiming,
  ) {
    if (durability !== 'fsync') this.scheduleOsFlush();
  }

  /** Queues a write; `onDone` runs when the write completes (from the process's point of view). */
  write(write: DiskWrite, onDone: () => void): void {
    this.enqueue({ write, onDone });
  }

  /** Records the state machine after an apply (one atomic LevelDB batch in production). */
  saveApplied(state: AppliedState): void {
    if (this.durability === 'fsync') this.applied = state;
    else if (this.durability === 'async') this.enqueue({ write: { kind: 'applied', state }, onDone: null });
  }

  /** A snapshot install starts: its marker is written with sync, then the store is cleared. */
  beginInstall(): void {
    this.installing = true;
  }

  /** The install finished: the log is gone, the state is the snapshot, and the final write syncs it all. */
  completeInstall(state: AppliedState): void {
    this.installing = false;
    this.log.clear();
    this.osBuffer = this.osBuffer.filter((write) => write.kind === 'view');
    this.applied = state;
  }

  crash(): void {
    this.epoch += 1;
    this.queue = [];
    this.osBuffer = [];
    this.busy = false;
  }

  image(): DiskImage {
    const viewState = this.viewState === null ? null : { ...this.viewState };
    if (this.installing || this.durability === 'memory') return { viewState, log: [], applied: emptyAppliedState(), stateLost: true };
    return { viewState, log: [...this.log.values()].sort((a, b) => a.slot - b.slot), applied: this.applied, stateLost: false };
  }

  private enqueue(queued: Queued): void {
    if (this.queue.length >= DISK_QUEUE_WRITES_MAX) throw new Error(`disk queue over ${DISK_QUEUE_WRITES_MAX} writes`);
    this.queue.push(queued);
    if (!this.busy) this.startBatch();
  }

  private startBatch(): void {
    const batch = this.queue;
    this.queue = [];
    this.busy = true;
    const epoch = this.epoch;
    this.scheduler.after(this.prng.between(this.timing.writeMsMin, this.timing.writeMsMax), () => {
      if (epoch !== this.epoch) return;
      this.busy = false;
      for (const { write } of batch) this.complete(write);
      for (const { onDone } of batch) onDone?.();
      if (this.queue.length > 0 && !this.busy) this.startBatch();
    });
  }

  private complete(write: Queued['write']): void {
    if (this.durability === 'fsync' || write.kind === 'view') this.makeDurable(write);
    else if (this.durability === 'async') this.osBuffer.push(write);
  }

  private scheduleOsFlush(): void {
    this.scheduler.after(this.timing.osFlushIntervalMs, () => {
      for (const write of this.osBuffer) this.makeDurable(write);
      this.osBuffer = [];
      this.scheduleOsFlush();
    });
  }

  private makeDurable(write: Queued['write']): void {
    switch (write.kind) {
      case 'log':
        for (const entry of write.entries) this.log.set(entry.slot, entry);
        break;
      case 'truncate-log':
        for (const slot of this.log.keys()) if (slot > write.afterSlot) this.log.delete(slot);
        break;
      case 'view':
        this.viewState = { ...write.view };
        break;
      case 'applied':
        this.applied = write.state;
        break;
    }
  }
}
