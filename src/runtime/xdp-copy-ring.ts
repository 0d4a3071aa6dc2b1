// The sequencer's ring of stamped copies when the XDP program stamps (docs/xdp.md): the copies are in the
// program's ring map, slot seq % capacity, and this presents them to the pure machine as a StampedCopies,
// so RETRANSMIT requests and timeout resends follow the same code as in the userspace plane. It follows the
// kernel's last stamped seq (advance) and keeps what the kernel cannot: which seqs the leader NO-OPed.
import assert from 'node:assert/strict';
import type { RingEntry, StampedCopies } from '../sequencer/ring.js';
import type { XdpSequencerProgram } from '../sequencer/xdp/program.js';

export class KernelCopyRing implements StampedCopies {
  readonly capacity: number;
  private session = 0;
  private firstSeq = 1;
  private lastSeq = 0;
  private readonly noops = new Set<number>();

  constructor(
    private readonly program: XdpSequencerProgram,
    /** The agent's clock now, and CLOCK_MONOTONIC now in ns, to place the kernel's stamp times on it. */
    private readonly nowMs: () => number,
  ) {
    this.capacity = program.ringEntries;
  }

  get size(): number {
    return this.lastSeq - this.firstSeq + 1;
  }

  get oldestSeq(): number {
    return this.firstSeq;
  }

  push(): number | null {
    assert.fail('the XDP program stamps; its copies are pushed in the kernel');
  }

  /**
   * The kernel stamped through `seqLast` in `session`; slots below seqLast - capacity + 1 hold newer seqs
   * now. Returns how many of the copies overwritten were not yet acked by every replica (ring drops).
   */
  advance(session: number, seqLast: number, throughMin: number): number {
    assert.equal(session, this.session || session, 'a new session must clear the ring first');
    this.session = session;
    const firstHeld = seqLast - this.capacity + 1;
    let drops = 0;
    // Every seq from firstSeq up to firstHeld - 1 was stamped and is overwritten now, including any the
    // kernel stamped and overwrote since the last step; the ones above throughMin were still needed.
    if (firstHeld > this.firstSeq) {
      drops = Math.max(0, firstHeld - 1 - Math.max(this.firstSeq - 1, throughMin));
      this.forget(firstHeld - 1);
    }
    this.lastSeq = seqLast;
    return drops;
  }

  get(seq: number): RingEntry | undefined {
    if (seq < this.firstSeq || seq > this.lastSeq) return undefined;
    const copy = this.program.readCopy(seq);
    if (copy.session !== this.session || copy.seq !== seq) return undefined;
    const noops = this.noops;
    const ageMs = Number(process.hrtime.bigint() - copy.stampedNs) / 1e6;
    return {
      seq,
      bytes: copy.datagram,
      stampedMs: this.nowMs() - ageMs,
      get noop() {
        return noops.has(seq);
      },
      set noop(value: boolean) {
        if (value) noops.add(seq);
        else noops.delete(seq);
      },
    };
  }

  releaseThrough(seq: number): void {
    if (this.size > 0 && seq >= this.firstSeq) this.forget(Math.min(seq, this.lastSeq));
  }

  clear(): void {
    this.session = 0;
    this.firstSeq = 1;
    this.lastSeq = 0;
    this.noops.clear();
  }

  /** Drops every seq <= `seq` from the held range; the NO-OP marks go with them. */
  private forget(seq: number): void {
    for (const noop of this.noops) if (noop <= seq) this.noops.delete(noop);
    this.firstSeq = seq + 1;
  }
}
