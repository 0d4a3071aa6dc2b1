// The replicated Idempotency-Key table (docs/api.md, "Idempotency-Key"): the result of every write sent
// under a key, so that a retry of it — after a timeout, through any replica, by a new submitter — gets
// the first result back instead of applying again. The submitters' client table (client-table.ts) cannot
// do this: its ids belong to one submitter incarnation, and a retry through another replica has new ones.
// Like the client table it is replicated state: every replica changes it identically, in the apply batch.
//
// Bounded deterministically: a key is remembered for IDEMPOTENCY_RETAIN_MS after its first apply,
// measured by the clocks of the submitting replicas as carried in the ops (the table's clock is the
// newest time it has seen, so every replica agrees on it), and at most IDEMPOTENCY_KEYS_MAX keys are
// kept (the oldest go first). Forgetting happens as new keys arrive, a bounded number per key.
import { createHash } from 'node:crypto';
import { packBody } from '../mrtom/body.js';
import type { KvOp, OpResult } from './ops.js';

/** How long a key is remembered at least, unless IDEMPOTENCY_KEYS_MAX newer keys push it out first. */
export const IDEMPOTENCY_RETAIN_MS = 60_000;
/** Keys remembered at most: 15 s of keyed writes at ~8,700 writes/s, far above this product's peak. */
export const IDEMPOTENCY_KEYS_MAX = 131_072;
/** Keys forgotten by age per key remembered, at most: the table shrinks faster than it grows. */
const EXPIRE_PER_INSERT = 2;
const FINGERPRINT_BYTES = 16;

/** What a keyed op carries: its key, which request the key stands for, and when it was submitted. */
export interface Idempotency {
  key: string;
  /** fingerprintOf(op): a retry must be the same request; another request under the key is refused. */
  fingerprint: Uint8Array;
  atMs: number;
}

export interface RememberedWrite {
  /** Position in the table: the order keys arrived in, the order they are forgotten in. */
  counter: number;
  fingerprint: Uint8Array;
  atMs: number;
  result: OpResult;
}

export type IdempotencyAdmission = { kind: 'new' } | { kind: 'replay'; result: OpResult } | { kind: 'conflict' };

/** The op's identity under its key: the first 16 bytes of SHA-256 over its wire encoding. */
export function fingerprintOf(op: KvOp): Uint8Array {
  return createHash('sha256').update(packBody(op)).digest().subarray(0, FINGERPRINT_BYTES);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(a, b) === 0;
}

/** The table as applied and written; changes only by commit() of a batch's changes once they are on disk. */
export class IdempotencyTable {
  /** In counter order (the Map's insertion order). */
  private readonly byKey = new Map<string, RememberedWrite>();
  private clock = 0;
  private nextCounter = 1;

  /** Builds the table from stored rows in counter order. */
  static from(rows: Iterable<[string, RememberedWrite]>): IdempotencyTable {
    const table = new IdempotencyTable();
    for (const [key, write] of rows) table.insert(key, write);
    return table;
  }

  get size(): number {
    return this.byKey.size;
  }

  get(key: string): RememberedWrite | undefined {
    return this.byKey.get(key);
  }

  entries(): IterableIterator<[string, RememberedWrite]> {
    return this.byKey.entries();
  }

  get clockMs(): number {
    return this.clock;
  }

  get counterNext(): number {
    return this.nextCounter;
  }

  commit(changes: IdempotencyChanges): void {
    for (const key of changes.forgotten.keys()) this.byKey.delete(key);
    for (const [key, write] of changes.remembered) this.insert(key, write);
  }

  private insert(key: string, write: RememberedWrite): void {
    this.byKey.delete(key); // Re-inserting moves the key to the end: it arrived again.
    this.byKey.set(key, write);
    this.clock = Math.max(this.clock, write.atMs);
    this.nextCounter = Math.max(this.nextCounter, write.counter + 1);
  }
}

/** One apply batch's changes over the table, which stays untouched until the batch is written. */
export class IdempotencyChanges {
  /** Keys remembered by this batch, in order. */
  readonly remembered = new Map<string, RememberedWrite>();
  /** Keys of the table forgotten by this batch, with the counter their stored row has. */
  readonly forgotten = new Map<string, number>();
  private clock: number;
  private nextCounter: number;
  /** Walks the table's keys oldest first; those before it are forgotten. */
  private readonly oldest: Iterator<[string, RememberedWrite]>;
  /** The oldest stored key this batch has not forgotten; null: not looked up yet. */
  private head: [string, RememberedWrite] | undefined | null = null;

  constructor(private readonly table: IdempotencyTable) {
    this.clock = table.clockMs;
    this.nextCounter = table.counterNext;
    this.oldest = table.entries();
  }

  admit({ key, fingerprint }: Idempotency): IdempotencyAdmission {
    const seen = this.lookup(key);
    if (seen === undefined) return { kind: 'new' };
    return sameBytes(seen.fingerprint, fingerprint) ? { kind: 'replay', result: seen.result } : { kind: 'conflict' };
  }

  remember({ key, fingerprint, atMs }: Idempotency, result: OpResult): void {
    this.clock = Math.max(this.clock, atMs);
    this.remembered.set(key, { counter: this.nextCounter++, fingerprint, atMs, result });
    for (
      let expired = 0;
      expired < EXPIRE_PER_INSERT && this.forgetOldest((write) => write.atMs < this.clock - IDEMPOTENCY_RETAIN_MS);
      expired++
    );
    while (this.size() > IDEMPOTENCY_KEYS_MAX) this.forgetOldest(() => true);
  }

  private lookup(key: string): RememberedWrite | undefined {
    const remembered = this.remembered.get(key);
    if (remembered !== undefined || this.forgotten.has(key)) return remembered;
    return this.table.get(key);
  }

  private size(): number {
    return this.table.size - this.forgotten.size + this.remembered.size;
  }

  /** Forgets the oldest key if `due` says so; false when it does not (or nothing is left to forget). */
  private forgetOldest(due: (write: RememberedWrite) => boolean): boolean {
    const stored = this.oldestStored();
    if (stored !== undefined) {
      if (!due(stored[1])) return false;
      this.forgotten.set(stored[0], stored[1].counter);
      this.head = null;
      return true;
    }
    // Everything stored is forgotten: the oldest are this batch's own keys.
    const first = this.remembered.entries().next();
    if (first.done === true || !due(first.value[1])) return false;
    this.remembered.delete(first.value[0]);
    return true;
  }

  private oldestStored(): [string, RememberedWrite] | undefined {
    if (this.head === null) {
      const next = this.oldest.next();
      this.head = next.done === true ? undefined : next.value;
    }
    return this.head;
  }
}
