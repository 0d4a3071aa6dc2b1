// The bounded ring of stamped ORDERED copies the sequencer keeps for retransmission (docs/design.md §2 step 2).
// Seqs are stamped consecutively, so the held copies are always one contiguous range [firstSeq, lastSeq]
// and a copy lives in slot `seq % capacity`: O(1) lookup, no allocation per entry beyond the copy itself.
import assert from 'node:assert/strict';

export interface RingEntry {
  readonly seq: number;
  /** The stamped ORDERED datagram exactly as first sent. */
  readonly bytes: Uint8Array;
  /** When the copy was stamped and fanned out; stamp times never decrease along the ring. */
  readonly stampedMs: number;
  /** The leader filled this slot with a NO-OP, so the copy must never be offered as the slot's content. */
  noop: boolean;
}

/** The copies a sequencer keeps for retransmission: a CopyRing in memory, or the XDP program's ring map
 *  (src/runtime/xdp-copy-ring.ts). Held seqs are one contiguous range [oldestSeq, oldestSeq + size). */
export interface StampedCopies {
  readonly capacity: number;
  readonly size: number;
  readonly oldestSeq: number;
  /** Appends the copy of `seq`; returns the seq evicted to make room, or null if there was room. */
  push(seq: number, bytes: Uint8Array, stampedMs: number): number | null;
  get(seq: number): RingEntry | undefined;
  /** Frees every copy at or below `seq`. */
  releaseThrough(seq: number): void;
  /** Forgets every copy, for a new session whose seqs start again at 1. */
  clear(): void;
}

export class CopyRing implements StampedCopies {
  private readonly slots: (RingEntry | undefined)[];
  /** Oldest held seq; the ring is empty when firstSeq > lastSeq. */
  private firstSeq = 1;
  private lastSeq = 0;

  constructor(readonly capacity: number) {
    assert.ok(Number.isInteger(capacity) && capacity >= 1, `ring capacity must be a positive integer, got ${capacity}`);
    this.slots = new Array<RingEntry | undefined>(capacity).fill(undefined);
  }

  get size(): number {
    return this.lastSeq - this.firstSeq + 1;
  }

  get oldestSeq(): number {
    return this.firstSeq;
  }

  /** Appends the copy of `seq`; returns the seq evicted to make room, or null if there was room. */
  push(seq: number, bytes: Uint8Array, stampedMs: number): number | null {
    assert.equal(seq, this.lastSeq + 1, 'ring copies must be pushed in consecutive seq order');
    let evicted: number | null = null;
    if (this.size === this.capacity) {
      evicted = this.firstSeq;
      this.dropOldest();
    }
    if (this.size === 0) this.firstSeq = seq;
    this.slots[seq % this.capacity] = { seq, bytes, stampedMs, noop: false };
    this.lastSeq = seq;
    return evicted;
  }

  get(seq: number): RingEntry | undefined {
    if (seq < this.firstSeq || seq > this.lastSeq) return undefined;
    return this.slots[seq % this.capacity];
  }

  /** Frees every copy at or below `seq`; the loop is bounded by the ring's capacity. */
  releaseThrough(seq: number): void {
    while (this.size > 0 && this.firstSeq <= seq) this.dropOldest();
  }

  /** Forgets every copy, for a new session whose seqs start again at 1. */
  clear(): void {
    this.slots.fill(undefined);
    this.firstSeq = 1;
    this.lastSeq = 0;
  }

  private dropOldest(): void {
    this.slots[this.firstSeq % this.capacity] = undefined;
    this.firstSeq += 1;
  }
}
