// A replica's simulated disk, honest about durability (docs/design.md §4), under the production store: it
// hands each process incarnation an abstract-level database (a memory-level subclass), so the real
// ReplicaLog and StateStore (src/store) run on it unchanged. Writes complete one after another, in issue
// order, after a seeded delay, and only then become visible — as LevelDB's writer queue does. A crash is a
// machine crash: writes not yet complete are lost, and so are completed writes still in the OS buffer. A
// write with `sync` makes itself and everything before it durable; the OS also flushes its buffer on a
// period. memory durability needs nothing special here: the store itself discards its state at open.
import { MemoryLevel } from 'memory-level';
import type { Database } from '../../src/store/database.js';
import type { Prng } from './prng.js';
import type { Scheduler } from './scheduler.js';

export interface DiskTiming {
  writeMsMin: number;
  writeMsMax: number;
  /** How often the OS writes its buffer of unsynced writes out. */
  osFlushIntervalMs: number;
}

/** One put or del at the root of the database, as memory-level's private methods see it. */
interface RootOp {
  type: 'put' | 'del';
  key: Uint8Array;
  value?: Uint8Array;
}

interface MemoryInternals {
  _batch(operations: RootOp[], options: object): Promise<void>;
  _put(key: Uint8Array, value: Uint8Array, options: object): Promise<void>;
  _del(key: Uint8Array, options: object): Promise<void>;
}
const memory = MemoryLevel.prototype as unknown as MemoryInternals;

/** A write that would outgrow this queue means the simulated process outruns its disk without bound. */
export const DISK_QUEUE_WRITES_MAX = 100_000;

export class SimDisk {
  /** What a restart finds: root key (latin1 of its bytes) → value. */
  private readonly durable = new Map<string, Uint8Array>();
  /** Completed writes the OS has not flushed yet, in completion order. */
  private osBuffer: RootOp[][] = [];
  /** Bumped by a crash: writes of an earlier incarnation never complete. */
  private incarnation = 0;
  private lastDoneAtMs = 0;
  private writesQueued = 0;
  /** Bumped whenever the durable image changes, so checkers can cache what they decode from it. */
  version = 0;

  constructor(
    private readonly scheduler: Scheduler,
    private readonly prng: Prng,
    private readonly timing: DiskTiming,
  ) {
    this.scheduleOsFlush();
  }

  /** A database over exactly what survived, for a new process incarnation. */
  open(): Database {
    return new SimDiskLevel(this, this.incarnation, [...this.durable]) as unknown as Database;
  }

  /** The machine died: queued and unflushed writes are gone; the open database is dead. */
  crash(): void {
    this.incarnation += 1;
    this.osBuffer = [];
    this.writesQueued = 0;
  }

  /** The durable value under a root key (a sublevel key is `!name!key`), for the invariant checkers. */
  durableValue(rootKey: string): Uint8Array | undefined {
    return this.durable.get(rootKey);
  }

  /** Resolves when the write completes; never, if the incarnation that issued it has crashed by then. */
  write(incarnation: number, operations: readonly RootOp[], sync: boolean): Promise<void> {
    if (incarnation !== this.incarnation) return new Promise(() => {});
    if (this.writesQueued >= DISK_QUEUE_WRITES_MAX) throw new Error(`disk queue over ${DISK_QUEUE_WRITES_MAX} writes`);
    this.writesQueued += 1;
    const nowMs = this.scheduler.nowMs;
    const doneAtMs = Math.max(this.lastDoneAtMs, nowMs) + this.prng.between(this.timing.writeMsMin, this.timing.writeMsMax);
    this.lastDoneAtMs = doneAtMs;
    // Each receiver of a write keeps its own bytes: the caller may reuse its buffers.
    const copied = operations.map((op) => ({ type: op.type, key: op.key.slice(), ...(op.value ? { value: op.value.slice() } : {}) }));
    return new Promise((resolve) => {
      this.scheduler.after(doneAtMs - nowMs, () => {
        if (incarnation !== this.incarnation) return;
        this.writesQueued -= 1;
        this.osBuffer.push(copied);
        if (sync) this.flushOsBuffer();
        resolve();
      });
    });
  }

  private flushOsBuffer(): void {
    if (this.osBuffer.length === 0) return;
    for (const batch of this.osBuffer) {
      for (const op of batch) {
        const key = Buffer.from(op.key).toString('latin1');
        if (op.type === 'put') this.durable.set(key, op.value!);
        else this.durable.delete(key);
      }
    }
    this.osBuffer = [];
    this.version += 1;
  }

  private scheduleOsFlush(): void {
    this.scheduler.after(this.timing.osFlushIntervalMs, () => {
      this.flushOsBuffer();
      this.scheduleOsFlush();
    });
  }
}

/** The database one process incarnation sees: memory-level's tree, with every write going through the disk first. */
class SimDiskLevel extends MemoryLevel<string, Uint8Array> {
  constructor(
    private readonly disk: SimDisk,
    private readonly incarnation: number,
    private readonly image: Array<[string, Uint8Array]>,
  ) {
    super({ keyEncoding: 'utf8', valueEncoding: 'view', storeEncoding: 'view' });
  }

  async _open(): Promise<void> {
    const operations = this.image.map(([key, value]): RootOp => ({ type: 'put', key: Buffer.from(key, 'latin1'), value }));
    await memory._batch.call(this, operations, {});
  }

  async _put(key: Uint8Array, value: Uint8Array, options: { sync?: boolean }): Promise<void> {
    await this.disk.write(this.incarnation, [{ type: 'put', key, value }], options.sync === true);
    return memory._put.call(this, key, value, options);
  }

  async _del(key: Uint8Array, options: { sync?: boolean }): Promise<void> {
    await this.disk.write(this.incarnation, [{ type: 'del', key }], options.sync === true);
    return memory._del.call(this, key, options);
  }

  async _batch(operations: RootOp[], options: { sync?: boolean }): Promise<void> {
    await this.disk.write(this.incarnation, operations, options.sync === true);
    return memory._batch.call(this, operations, options);
  }

  async _clear(): Promise<void> {
    throw new Error('clear() is not modelled by the simulated disk; the store never uses it');
  }
}
