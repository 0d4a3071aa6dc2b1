// The invariant checker on synthetic apply streams: agreeing replicas pass, and each kind of divergence
// (another request, a NO-OP against a request, a repeated or skipped slot, a rebuilt replica that applies
// something else, a disk that forgot an fsync'd apply, diverging state machines) is caught, naming the
// slot and the replica.
import { describe, expect, it } from 'vitest';
import type { LogEntry } from '../../src/consensus/log-entry.js';
import type { AppliedEntry } from '../../src/store/applied.js';
import { encodeOpRequest } from '../../src/store/ops.js';
import { ApplyInvariants, InvariantViolation } from './invariants.js';

function request(slot: number, clientId = 1001, value = slot): LogEntry {
  const body = encodeOpRequest({ floor: 0, ops: [{ requestId: slot, op: { type: 'put', key: 'k', value: new Uint8Array([value]) } }] });
  return { slot, session: 1, seq: slot, view: 0, clientId, requestId: slot, body, noop: false };
}

function noop(slot: number): LogEntry {
  return { slot, session: 1, seq: slot, view: 0, clientId: 0, requestId: 0, body: new Uint8Array(0), noop: true };
}

function result(entry: LogEntry, revision = entry.slot): AppliedEntry {
  const outcome = entry.noop
    ? { type: 'invalid' as const, revision, reason: 'no-op' }
    : { type: 'put' as const, revision, modRevision: revision };
  return {
    slot: entry.slot,
    session: entry.session,
    seq: entry.seq,
    clientId: entry.clientId,
    requestId: entry.requestId,
    result: outcome,
  };
}

function apply(checker: ApplyInvariants, replica: number, entries: LogEntry[]): void {
  checker.beforeApply(replica, entries);
  checker.afterApply(
    replica,
    entries.map((entry) => result(entry)),
  );
}

function violation(run: () => void): InvariantViolation {
  try {
    run();
  } catch (err) {
    if (err instanceof InvariantViolation) return err;
    throw err;
  }
  throw new Error('expected an invariant violation');
}

describe('ApplyInvariants', () => {
  it('accepts replicas that apply the same entries in order, in batches of any size', () => {
    const checker = new ApplyInvariants();
    apply(checker, 1, [request(1), noop(2), request(3)]);
    apply(checker, 2, [request(1)]);
    apply(checker, 2, [noop(2), request(3)]);
    apply(checker, 3, [request(1), noop(2)]);
    expect(checker.slotsApplied()).toBe(3);
    expect(checker.lastApplied(3)).toBe(2);
  });

  it('catches two replicas applying different requests at the same slot', () => {
    const checker = new ApplyInvariants();
    apply(checker, 1, [request(1), request(2)]);
    const err = violation(() => apply(checker, 2, [request(1), request(2, 1002)]));
    expect(err.slot).toBe(2);
    expect(err.replica).toBe(2);
    expect(err.message).toMatch(/slot 2: r1 applied .*1001#2.*, r2 applied .*1002#2/);
  });

  it('catches the same request with a different body (a corrupted copy)', () => {
    const checker = new ApplyInvariants();
    apply(checker, 1, [request(1, 1001, 5)]);
    expect(violation(() => apply(checker, 3, [request(1, 1001, 6)])).message).toMatch(/slot 1: r1 applied .* body [0-9a-f]{8}, r3 applied/);
  });

  it('catches a slot applied as a request on one replica and as a NO-OP on another, in either order', () => {
    const first = new ApplyInvariants();
    apply(first, 1, [request(1)]);
    expect(violation(() => apply(first, 2, [noop(1)])).message).toMatch(/slot 1 applied as request .* on r1 but as NO-OP on r2/);
    const second = new ApplyInvariants();
    apply(second, 2, [noop(1)]);
    expect(violation(() => apply(second, 1, [request(1)])).message).toMatch(/slot 1 applied as request .* on r1 but as NO-OP on r2/);
  });

  it('catches a replica applying a slot twice or skipping one', () => {
    const twice = new ApplyInvariants();
    apply(twice, 1, [request(1), request(2)]);
    expect(violation(() => apply(twice, 1, [request(2)])).message).toMatch(/r1: slot 2 applied again/);
    const skipped = new ApplyInvariants();
    apply(skipped, 1, [request(1)]);
    expect(violation(() => apply(skipped, 1, [request(3)])).message).toMatch(/r1: slot 3 applied with slots 2..2 missing/);
  });

  it('lets a memory replica rebuild from slot 1 with identical entries, but not with different ones', () => {
    const checker = new ApplyInvariants();
    apply(checker, 1, [request(1), noop(2)]);
    apply(checker, 2, [request(1), noop(2)]);
    checker.onRestart(2, 'memory', 0, true);
    apply(checker, 2, [request(1), noop(2), request(3)]);
    checker.onRestart(1, 'memory', 0, true);
    expect(violation(() => apply(checker, 1, [request(1), request(2)])).message).toMatch(/slot 2 applied as request/);
  });

  it('lets a replica come back behind its last checkpoint, and catches one that comes back ahead of what it applied', () => {
    const checker = new ApplyInvariants();
    apply(checker, 1, [request(1), request(2)]);
    checker.onRestart(1, 'async', 1, false);
    apply(checker, 1, [request(2)]);
    apply(checker, 2, [request(1), request(2)]);
    checker.onRestart(2, 'fsync', 0, true); // An interrupted snapshot install lost it all.
    apply(checker, 2, [request(1)]);
    checker.onRestart(2, 'fsync', 0, false); // Unsynced applies since the last checkpoint: replayed from the log.
    apply(checker, 2, [request(1)]);
    expect(violation(() => checker.onRestart(2, 'fsync', 2, false)).message).toMatch(
      /r2 \(fsync\) restarted at applied slot 2, had applied 1/,
    );
    expect(violation(() => checker.onRestart(1, 'memory', 2, true)).message).toMatch(/memory, state lost/);
  });

  it('catches state machines that return different results for the same entry', () => {
    const checker = new ApplyInvariants();
    apply(checker, 1, [request(1)]);
    checker.beforeApply(2, [request(1)]);
    expect(violation(() => checker.afterApply(2, [result(request(1), 7)])).message).toMatch(
      /slot 1 .*state machines diverged, r1 got 1:put rev 1 digest [0-9a-f]{8}, r2 got 1:put rev 7 digest [0-9a-f]{8}/,
    );
  });

  it('moves a replica past a slot only once its apply is written: a crash before that restarts behind it', () => {
    const checker = new ApplyInvariants();
    apply(checker, 1, [request(1)]);
    checker.beforeApply(1, [request(2)]);
    expect(checker.lastApplied(1)).toBe(1);
    checker.onRestart(1, 'fsync', 1, false); // The write of slot 2 never completed.
    apply(checker, 1, [request(2)]);
    expect(checker.lastApplied(1)).toBe(2);
  });
});
