// Safety invariants over what replicas apply (docs/design.md §3 last item; docs/background.md §1.8 and
// "Implications" item 12), checked on every apply — the only simulator event that changes applied
// state — so a violation is caught at the step that causes it:
//   - agreement: all replicas apply the same entry (session, seq, client, request, NO-OP flag, body) at
//     a slot, with the same result (the state machines did not diverge);
//   - a slot applied as a request on one replica is never a NO-OP on another;
//   - each replica applies slots once each, in order, from 1; its applied prefix never changes. After a
//     restart that lost applied state (memory, or async's unflushed tail) it re-applies, and what it
//     re-applies must be identical to what it (and everyone) applied before.
import type { Durability } from '../../src/config/cluster.js';
import type { LogEntry } from '../../src/consensus/log-entry.js';
import type { AppliedEntry } from '../../src/store/applied.js';
import { packBody } from '../../src/mrtom/body.js';
import type { OpResult } from '../../src/store/ops.js';

export class InvariantViolation extends Error {
  constructor(
    message: string,
    readonly slot: number | null,
    readonly replica: number,
  ) {
    super(message);
    this.name = 'InvariantViolation';
  }
}

interface AgreedSlot {
  readonly entry: string;
  /** Set by the first replica whose state machine returned a result for the slot. */
  result: string | null;
  readonly noop: boolean;
  /** The first replica that applied the slot: named in a violation report. */
  readonly replica: number;
}

export class ApplyInvariants {
  private readonly agreed = new Map<number, AgreedSlot>();
  private readonly appliedSlot = new Map<number, number>();

  /** How many slots some replica applied; they are exactly 1..n, since each replica applies in order from 1. */
  slotsApplied(): number {
    return this.agreed.size;
  }

  /** How many of those slots are NO-OPs: shows a run exercised gap agreement. */
  noopSlots(): number {
    let count = 0;
    for (const slot of this.agreed.values()) if (slot.noop) count += 1;
    return count;
  }

  lastApplied(replica: number): number {
    return this.appliedSlot.get(replica) ?? 0;
  }

  /** Before the state machine runs: the entries continue this replica's applied prefix and agree with
   *  every other replica's. The replica's applied slot moves only once the write is done (afterApply). */
  beforeApply(replica: number, entries: readonly LogEntry[]): void {
    let last = this.lastApplied(replica);
    for (const entry of entries) {
      this.checkEntry(replica, entry, last);
      last = entry.slot;
    }
  }

  /** After it ran: every replica's state machine produced the same results at each slot (one per op). */
  afterApply(replica: number, results: readonly AppliedEntry[]): void {
    const bySlot = new Map<number, string[]>();
    for (const result of results) {
      let list = bySlot.get(result.slot);
      if (list === undefined) bySlot.set(result.slot, (list = []));
      list.push(`${result.requestId}:${describeResult(result.result)}`);
    }
    for (const [slot, list] of bySlot) {
      this.appliedSlot.set(replica, slot);
      const mine = list.join(', ');
      const agreed = this.agreed.get(slot);
      if (agreed === undefined)
        throw new InvariantViolation(`r${replica}: result for slot ${slot}, which was never applied`, slot, replica);
      if (agreed.result === null) {
        agreed.result = mine;
      } else if (agreed.result !== mine) {
        throw new InvariantViolation(
          `slot ${slot} (${agreed.entry}): state machines diverged, r${agreed.replica} got ${agreed.result}, r${replica} got ${mine}`,
          slot,
          replica,
        );
      }
    }
  }

  /**
   * A replica restarted with `restoredSlot` applied. fsync and async may lose the applies since the last
   * checkpoint (fsync replays them from its log; what it ACKed is held by promises.ts); memory, and a store
   * that reports its state lost (an interrupted snapshot install), keep nothing. Anything else means the
   * simulated disk lied.
   */
  onRestart(replica: number, durability: Durability, restoredSlot: number, stateLost: boolean): void {
    const before = this.lastApplied(replica);
    const expected = stateLost || durability === 'memory' ? restoredSlot === 0 : restoredSlot <= before;
    if (!expected) {
      const how = stateLost ? `${durability}, state lost` : durability;
      throw new InvariantViolation(
        `r${replica} (${how}) restarted at applied slot ${restoredSlot}, had applied ${before}`,
        restoredSlot,
        replica,
      );
    }
    this.appliedSlot.set(replica, restoredSlot);
  }

  /**
   * The replica replaced its state with a peer's snapshot, taken from that peer's applied state (whose
   * entries were checked as it applied them). Installing one behind what the replica applied would undo
   * applied slots.
   */
  onSnapshotInstalled(replica: number, slot: number): void {
    const before = this.lastApplied(replica);
    if (slot < before)
      throw new InvariantViolation(
        `r${replica} installed a snapshot at slot ${slot}, undoing its applied slots up to ${before}`,
        slot,
        replica,
      );
    this.appliedSlot.set(replica, slot);
  }

  private checkEntry(replica: number, entry: LogEntry, last: number): void {
    if (entry.slot !== last + 1) {
      const what = entry.slot <= last ? 'applied again' : `applied with slots ${last + 1}..${entry.slot - 1} missing`;
      throw new InvariantViolation(`r${replica}: slot ${entry.slot} ${what} (last applied ${last})`, entry.slot, replica);
    }
    const mine = describeEntry(entry);
    const agreed = this.agreed.get(entry.slot);
    if (agreed === undefined) {
      this.agreed.set(entry.slot, { entry: mine, result: null, noop: entry.noop, replica });
      return;
    }
    if (agreed.noop !== entry.noop) {
      const [request, noop] = entry.noop ? [agreed.replica, replica] : [replica, agreed.replica];
      const requestEntry = entry.noop ? agreed.entry : mine;
      throw new InvariantViolation(
        `slot ${entry.slot} applied as request ${requestEntry} on r${request} but as NO-OP on r${noop}`,
        entry.slot,
        replica,
      );
    }
    if (agreed.entry !== mine) {
      throw new InvariantViolation(
        `slot ${entry.slot}: r${agreed.replica} applied ${agreed.entry}, r${replica} applied ${mine}`,
        entry.slot,
        replica,
      );
    }
  }
}

export function describeEntry(entry: LogEntry): string {
  const what = entry.noop ? 'NO-OP' : `req ${entry.clientId}#${entry.requestId} body ${hashBytes(entry.body)}`;
  return `s${entry.session}/q${entry.seq} ${what}`;
}

/** Results are compared as their canonical msgpack bytes: any difference between replicas is divergence. */
function describeResult(result: OpResult): string {
  return `${result.type} rev ${result.revision} digest ${hashBytes(packBody(result))}`;
}

/** FNV-1a: enough to tell two bodies apart in a report, cheap enough to run on every apply. */
function hashBytes(bytes: Uint8Array): string {
  let hash = 0x811c9dc5;
  for (const byte of bytes) hash = Math.imul(hash ^ byte, 0x01000193);
  return (hash >>> 0).toString(16).padStart(8, '0');
}
