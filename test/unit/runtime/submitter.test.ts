// Proves the node's MRTOM client: an op goes out at once when no batch is out, and ops arriving while
// batches are out fill the next one (bounded by the datagram, REQUEST_OPS_MAX, and ops that read ranges,
// which go alone); a request resolves when its own (client id, request id) is applied here — not when it is
// known committed; an unanswered batch is resent, the same bytes, with a growing spacing up to a cap; an op
// past its deadline fails as commit_timeout; the floor stays below every op not yet answered; and too many
// in flight or too large an op other than a put or txn are refused up front. Split puts and txns:
// submitter-split.test.ts.
import { describe, expect, it } from 'vitest';
import { ServiceError } from '../../../src/api/service-errors.js';
import { REQUEST_OPS_MAX } from '../../../src/store/ops.js';
import { harness, put } from './submitter-harness.js';

describe('Submitter', () => {
  it('sends a lone op at once, resolves it when this replica applies it (not when it is committed), and reports each stage', async () => {
    const { submitter, batches, latencies, clock } = harness();
    const pending = submitter.submit(put('a'));
    expect(batches()).toEqual([{ requestId: 1, floor: 0, ids: [1] }]);
    const own = { slot: 2, session: 1, seq: 2, view: 0, clientId: 77, requestId: 1, body: new Uint8Array(0), noop: false };
    clock.nowMs = 10;
    submitter.onLogged([own]);
    clock.nowMs = 20;
    submitter.onDurable([own]);
    clock.nowMs = 30;
    submitter.onCommitted([own]);
    let settled = false;
    void pending.then(() => (settled = true));
    await Promise.resolve();
    expect(settled).toBe(false);
    clock.nowMs = 42;
    submitter.onApplied([
      { slot: 1, session: 1, seq: 1, clientId: 78, requestId: 1, result: { type: 'put', revision: 9, modRevision: 9 } },
    ]);
    submitter.onApplied([
      { slot: 2, session: 1, seq: 2, clientId: 77, requestId: 1, result: { type: 'put', revision: 1, modRevision: 1 } },
    ]);
    await expect(pending).resolves.toEqual({ type: 'put', revision: 1, modRevision: 1 });
    expect(latencies).toEqual([{ sentMs: 0, stampedMs: 10, durableMs: 20, committedMs: 30, appliedMs: 42 }]);
  });

  it('fills the next batch while batches are out, and sends it as soon as one is done', () => {
    const { submitter, batches, applied } = harness({ batchesInFlightMax: 1 });
    void submitter.submit(put('a'));
    for (const key of ['b', 'c', 'd']) void submitter.submit(put(key));
    expect(batches().map((b) => b.ids)).toEqual([[1]]);
    submitter.onApplied(applied(1));
    expect(batches()).toEqual([
      { requestId: 1, floor: 0, ids: [1] },
      { requestId: 2, floor: 1, ids: [2, 3, 4] },
    ]);
    expect(submitter.inFlightCount).toBe(3);
  });

  it('keeps batchesInFlightMax batches out at once', () => {
    const { submitter, batches } = harness({ batchesInFlightMax: 2 });
    for (const key of ['a', 'b', 'c']) void submitter.submit(put(key));
    expect(batches().map((b) => b.ids)).toEqual([[1], [2]]);
  });

  it('with singleBatchFromOps outstanding, keeps one batch out and lets the next fill behind it', () => {
    const { submitter, batches, applied } = harness({ batchesInFlightMax: 2, singleBatchFromOps: 3 });
    void submitter.submit(put('a'));
    void submitter.submit(put('b'));
    // Below the threshold a second batch goes at once.
    expect(batches().map((b) => b.ids)).toEqual([[1], [2]]);
    void submitter.submit(put('c'));
    void submitter.submit(put('d'));
    submitter.onApplied(applied(1));
    // Three outstanding (2, 3, 4): one batch at a time, so 3 and 4 wait for batch 2.
    expect(batches().map((b) => b.ids)).toEqual([[1], [2]]);
    submitter.onApplied(applied(2));
    expect(batches().map((b) => b.ids)).toEqual([[1], [2], [3, 4]]);
  });

  it('bounds a batch by the datagram and by REQUEST_OPS_MAX, and sends an op that reads a range alone', () => {
    const bySize = harness({ datagramBytesMax: 400 });
    void bySize.submitter.submit(put('first'));
    for (let i = 0; i < 10; i++) void bySize.submitter.submit(put(`k${i}`, 50));
    bySize.submitter.onApplied(bySize.applied(1));
    const [, second] = bySize.batches();
    expect(second!.ids.length).toBeGreaterThan(1);
    expect(second!.ids.length).toBeLessThan(10);
    expect(bySize.sent[1]!.byteLength).toBeLessThanOrEqual(400);

    const byCount = harness({ datagramBytesMax: 65_000 });
    void byCount.submitter.submit(put('first'));
    for (let i = 0; i < REQUEST_OPS_MAX + 5; i++) void byCount.submitter.submit({ type: 'barrier' });
    byCount.submitter.onApplied(byCount.applied(1));
    expect(byCount.batches()[1]!.ids).toHaveLength(REQUEST_OPS_MAX);

    const ranges = harness();
    void ranges.submitter.submit(put('first'));
    void ranges.submitter.submit(put('a'));
    void ranges.submitter.submit({ type: 'delete_range', prefix: 'x/' });
    void ranges.submitter.submit(put('b'));
    ranges.submitter.onApplied(ranges.applied(1));
    ranges.submitter.onApplied(ranges.applied(2));
    ranges.submitter.onApplied(ranges.applied(3));
    expect(ranges.batches().map((b) => b.ids)).toEqual([[1], [2], [3], [4]]);
  });

  it('resends an unanswered batch, the same bytes, with a doubling spacing, then fails its ops at the deadline', async () => {
    const { submitter, sent, clock } = harness();
    const pending = submitter.submit(put('a'));
    const resendTimes: number[] = [];
    for (clock.nowMs = 0; clock.nowMs < 1000; clock.nowMs += 10) {
      const before = sent.length;
      submitter.onTick();
      if (sent.length > before) resendTimes.push(clock.nowMs);
    }
    expect(resendTimes).toEqual([100, 300, 700]);
    expect(new Set(sent.map((b) => Buffer.from(b).toString('hex'))).size).toBe(1);
    clock.nowMs = 1000;
    submitter.onTick();
    await expect(pending).rejects.toMatchObject({ code: 'commit_timeout' });
    expect(submitter.inFlightCount).toBe(0);
  });

  it('caps the resend spacing at resendIntervalMsMax', () => {
    const { submitter, sent, clock } = harness({ resendIntervalMsMax: 150 });
    void submitter.submit(put('a'));
    const resendTimes: number[] = [];
    for (clock.nowMs = 0; clock.nowMs < 900; clock.nowMs += 10) {
      const before = sent.length;
      submitter.onTick();
      if (sent.length > before) resendTimes.push(clock.nowMs);
    }
    expect(resendTimes).toEqual([100, 250, 400, 550, 700, 850]);
  });

  it('waits longer before the first resend once batches take longer than the floor to apply', async () => {
    const { submitter, sent, applied, clock } = harness();
    for (let i = 0; i < 20; i++) {
      clock.nowMs = i * 1000;
      const pending = submitter.submit(put(`k${i}`));
      // Each batch is applied 300 ms after it was sent: past the 100 ms floor, so it was resent first.
      for (clock.nowMs = i * 1000; clock.nowMs < i * 1000 + 300; clock.nowMs += 10) submitter.onTick();
      submitter.onApplied(applied(i + 1));
      await pending;
    }
    clock.nowMs = 20_000;
    const before = sent.length;
    void submitter.submit(put('late'));
    const resendTimes: number[] = [];
    for (; clock.nowMs < 21_000; clock.nowMs += 10) {
      const count = sent.length;
      submitter.onTick();
      if (sent.length > count) resendTimes.push(clock.nowMs - 20_000);
    }
    expect(sent.length).toBeGreaterThan(before);
    // Not at the 100 ms floor: after what applies have been taking (300 ms) and then some.
    expect(resendTimes[0]).toBeGreaterThanOrEqual(300);
  });

  it('lets the next batch go once every op of the one out timed out', async () => {
    const { submitter, batches, clock } = harness({ batchesInFlightMax: 1 });
    const first = submitter.submit(put('a'));
    clock.nowMs = 500;
    void submitter.submit(put('b'));
    clock.nowMs = 1000;
    submitter.onTick();
    await expect(first).rejects.toMatchObject({ code: 'commit_timeout' });
    expect(batches()).toEqual([
      { requestId: 1, floor: 0, ids: [1] },
      { requestId: 2, floor: 1, ids: [2] },
    ]);
  });

  it('sends a floor below every op not yet answered', () => {
    const { submitter, batches, applied } = harness({ batchesInFlightMax: 3 });
    void submitter.submit(put('a'));
    void submitter.submit(put('b'));
    submitter.onApplied(applied(2));
    void submitter.submit(put('c'));
    expect(batches().map((b) => b.floor)).toEqual([0, 0, 0]); // request 1 is still out
    submitter.onApplied(applied(1));
    void submitter.submit(put('d'));
    expect(batches().at(-1)!.floor).toBe(2);
  });

  it('refuses more than inFlightMax requests, and an op other than a put or txn that needs more than one datagram', async () => {
    const { submitter } = harness({ inFlightMax: 1, datagramBytesMax: 200 });
    void submitter.submit(put('a'));
    await expect(submitter.submit(put('b'))).rejects.toMatchObject({ code: 'overloaded' });
    const big = harness({ datagramBytesMax: 200 });
    const refused = big.submitter.submit({ type: 'delete', key: 'k'.repeat(500) });
    await expect(refused).rejects.toBeInstanceOf(ServiceError);
    await expect(refused).rejects.toMatchObject({
      code: 'value_too_large',
      message: expect.stringMatching(/over the 200-byte limit; only puts and txns are split/),
    });
    expect(big.sent).toHaveLength(0);
  });
});
