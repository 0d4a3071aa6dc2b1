// A replica's simulated disk, honest about durability (docs/design.md §4), under the production store: it
// hands each process incarnation an abstract-level database (a memory-level subclass) and a folder of
// write-ahead log files, so the real ReplicaLog and StateStore (src/store) run on it unchanged. Writes
// complete one after another, in issue order, after a seeded delay, and only then become visible — as
// LevelDB's writer queue and a single file descriptor do. A crash is a machine crash: writes not yet
// complete are lost, and so are completed writes still in the OS buffer; the first file write lost may
// land in part (a torn write). A synced write makes itself and every earlier write to the same file (the
// database counts as one file) durable; the OS also flushes its whole buffer on a period. memory
// durability needs nothing special here: the store itself discards its state at open.
import { MemoryLevel } from 'memory-level';
import type { Database } from '../../src/store/database.js';
import type { StorageParts } from '../../src/store/replica-store.js';
import type { WalFile, WalFolder } from '../../src/store/wal/files.js';
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

/** A log file's bytes, creation or removal. */
type FileWrite =
  | { file: string; kind: 'bytes'; offset: number; bytes: Uint8Array }
  | { file: string; kind: 'create'; size: number }
  | { file: string; kind: 'remove' };

/** A write to one file: the database (counted as one file), or a log file. */
type DiskWrite = { file: typeof DATABASE_FILE; kind: 'batch'; ops: RootOp[] } | FileWrite;

interface MemoryInternals {
  _batch(operations: RootOp[], options: object): Promise<void>;
  _put(key: Uint8Array, value: Uint8Array, options: object): Promise<void>;
  _del(key: Uint8Array, options: object): Promise<void>;
}
const memory = MemoryLevel.prototype as unknown as MemoryInternals;

const DATABASE_FILE = '(database)';

/** A write that would outgrow this queue means the simulated process outruns its disk without bound. */
export const DISK_QUEUE_WRITES_MAX = 100_000;

export class SimDisk {
  /** What a restart finds in the database: root key (latin1 of its bytes) → value. */
  private readonly durable = new Map<string, Uint8Array>();
  /** What a restart finds in the log folder, and what the live incarnation sees there. */
  private readonly durableFiles = new Map<string, Uint8Array>();
  private visibleFiles = new Map<string, Uint8Array>();
  /** Completed writes the OS has not flushed yet, in completion order. */
  private osBuffer: DiskWrite[] = [];
  /** Issued writes not yet complete, in issue (= completion) order. */
  private inFlight: DiskWrite[] = [];
  /** Bumped by a crash: writes of an earlier incarnation never complete. */
  private incarnation = 0;
  private lastDoneAtMs = 0;
  private readonly fileVersions = new Map<string, number>();
  /** Bumped whenever the durable image changes, so checkers can cache what they decode from it. */
  version = 0;

  constructor(
    private readonly scheduler: Scheduler,
    private readonly prng: Prng,
    private readonly timing: DiskTiming,
    /** Whether log file writes are synced: production opens them O_DSYNC for durability fsync (node-files.ts). */
    private readonly walSync: boolean,
  ) {
    this.scheduleOsFlush();
  }

  /** The storage over exactly what survived, for a new process incarnation. */
  open(): StorageParts {
    this.visibleFiles = new Map([...this.durableFiles].map(([name, bytes]) => [name, bytes.slice()]));
    return {
      database: new SimDiskLevel(this, this.incarnation, [...this.durable]) as unknown as Database,
      wal: this.walFolder(this.incarnation),
    };
  }

  /** The machine died: queued and unflushed writes are gone, but for part of the first file write; the open storage is dead. */
  crash(): void {
    this.incarnation += 1;
    const torn = [...this.osBuffer, ...this.inFlight].find((write) => write.kind === 'bytes');
    if (torn?.kind === 'bytes' && this.prng.chance(0.5)) {
      const landed = this.prng.int(1, Math.max(1, torn.bytes.byteLength - 1));
      this.applyTo(this.durableFiles, { ...torn, bytes: torn.bytes.subarray(0, landed) });
      this.version += 1;
    }
    this.osBuffer = [];
    this.inFlight = [];
  }

  /** The durable value under a root key (a sublevel key is `!name!key`), for the invariant checkers. */
  durableValue(rootKey: string): Uint8Array | undefined {
    return this.durable.get(rootKey);
  }

  /** The log files a restart would find, for the invariant checkers. */
  durableLogFiles(): ReadonlyMap<string, Uint8Array> {
    return this.durableFiles;
  }

  /** Bumped whenever a log file's durable bytes change (a removed file's count stays). */
  durableLogFileVersion(name: string): number {
    return this.fileVersions.get(name) ?? 0;
  }

  /** Resolves when the write completes; never, if the incarnation that issued it has crashed by then. */
  write(incarnation: number, write: DiskWrite, sync: boolean): Promise<void> {
    if (incarnation !== this.incarnation) return new Promise(() => {});
    if (this.inFlight.length >= DISK_QUEUE_WRITES_MAX) throw new Error(`disk queue over ${DISK_QUEUE_WRITES_MAX} writes`);
    this.inFlight.push(write);
    const nowMs = this.scheduler.nowMs;
    const doneAtMs = Math.max(this.lastDoneAtMs, nowMs) + this.prng.between(this.timing.writeMsMin, this.timing.writeMsMax);
    this.lastDoneAtMs = doneAtMs;
    return new Promise((resolve) => {
      this.scheduler.after(doneAtMs - nowMs, () => {
        if (incarnation !== this.incarnation) return;
        this.inFlight.shift();
        if (write.kind !== 'batch') this.applyTo(this.visibleFiles, write);
        this.osBuffer.push(write);
        if (sync) this.flush(write.file);
        resolve();
      });
    });
  }

  /** A log file's current bytes, as the live incarnation sees them. */
  readVisible(name: string): Uint8Array {
    const bytes = this.visibleFiles.get(name);
    if (bytes === undefined) throw new Error(`ENOENT: no log file ${name}`);
    return bytes.slice();
  }

  visibleNames(): string[] {
    return [...this.visibleFiles.keys()];
  }

  /** Makes the buffered writes of `file` (all files, when undefined) durable, in order. */
  private flush(file?: string): void {
    const kept: DiskWrite[] = [];
    let flushed = false;
    for (const write of this.osBuffer) {
      if (file !== undefined && write.file !== file) {
        kept.push(write);
        continue;
      }
      flushed = true;
      if (write.kind === 'batch') this.applyOps(write.ops);
      else this.applyTo(this.durableFiles, write);
    }
    this.osBuffer = kept;
    if (flushed) this.version += 1;
  }

  private applyOps(ops: readonly RootOp[]): void {
    for (const op of ops) {
      const key = Buffer.from(op.key).toString('latin1');
      if (op.type === 'put') this.durable.set(key, op.value!);
      else this.durable.delete(key);
    }
  }

  private applyTo(files: Map<string, Uint8Array>, write: FileWrite): void {
    if (files === this.durableFiles) this.fileVersions.set(write.file, this.durableLogFileVersion(write.file) + 1);
    switch (write.kind) {
      case 'create':
        files.set(write.file, new Uint8Array(write.size));
        return;
      case 'remove':
        files.delete(write.file);
        return;
      case 'bytes': {
        const target = files.get(write.file);
        if (target === undefined) throw new Error(`write to log file ${write.file}, which does not exist`);
        if (write.offset + write.bytes.byteLength > target.byteLength) throw new Error(`write past the end of log file ${write.file}`);
        target.set(write.bytes, write.offset);
      }
    }
  }

  private scheduleOsFlush(): void {
    this.scheduler.after(this.timing.osFlushIntervalMs, () => {
      this.flush();
      this.scheduleOsFlush();
    });
  }

  /** The log folder one incarnation sees. */
  private walFolder(incarnation: number): WalFolder {
    const disk = this;
    return {
      list: () => Promise.resolve(disk.visibleNames()),
      read: (name) => Promise.resolve(disk.readVisible(name)),
      // Production makes a new segment and its name durable before use.
      create: (name, size) => disk.write(incarnation, { file: name, kind: 'create', size }, true),
      // Pessimistic for the checkers: a removed file is gone from the disk at once.
      remove: (name) => disk.write(incarnation, { file: name, kind: 'remove' }, true),
      open(name) {
        if (!disk.visibleFiles.has(name)) return Promise.reject(new Error(`ENOENT: no log file ${name}`));
        const file: WalFile = {
          // Each write keeps its own bytes: the caller may reuse its buffers.
          write: (offset, bytes) => disk.write(incarnation, { file: name, kind: 'bytes', offset, bytes: bytes.slice() }, disk.walSync),
          close: () => Promise.resolve(),
        };
        return Promise.resolve(file);
      },
    };
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
    await this.writeOps([{ type: 'put', key, value }], options);
    return memory._put.call(this, key, value, options);
  }

  async _del(key: Uint8Array, options: { sync?: boolean }): Promise<void> {
    await this.writeOps([{ type: 'del', key }], options);
    return memory._del.call(this, key, options);
  }

  async _batch(operations: RootOp[], options: { sync?: boolean }): Promise<void> {
    await this.writeOps(operations, options);
    return memory._batch.call(this, operations, options);
  }

  async _clear(): Promise<void> {
    throw new Error('clear() is not modelled by the simulated disk; the store never uses it');
  }

  /** Each write keeps its own bytes: the caller may reuse its buffers. */
  private writeOps(operations: readonly RootOp[], options: { sync?: boolean }): Promise<void> {
    const ops = operations.map((op) => ({ type: op.type, key: op.key.slice(), ...(op.value ? { value: op.value.slice() } : {}) }));
    return this.disk.write(this.incarnation, { file: DATABASE_FILE, kind: 'batch', ops }, options.sync === true);
  }
}
