// Proves the node's MRTOM client: a request resolves when its own (client id, request id) is applied here
// — not when it is known committed — unanswered requests are resent with the same id and a growing spacing
// up to a cap, a request past its deadline fails as commit_timeout, and too many in flight or too large a
// datagram are refused up front.
import { describe, expect, it } from 'vitest';
import { Submitter, type RequestLatency } from '../../../src/runtime/submitter.js';
import { ServiceError } from '../../../src/api/service-errors.js';
import { decodeDatagram } from '../../../src/mrtom/messages.js';
import { decodeOpRequest } from '../../../src/store/ops.js';

function harness(overrides: { inFlightMax?: number; datagramBytesMax?: number; resendIntervalMsMax?: number } = {}) {
  const sent: Uint8Array[] = [];
  const latencies: RequestLatency[] = [];
  const clock = { nowMs: 0 };
  const submitter = new Submitter({
    group: 1,
    clientId: 77,
    datagramBytesMax: overrides.datagramBytesMax ?? 1400,
    resendIntervalMs: 100,
    resendIntervalMsMax: overrides.resendIntervalMsMax ?? 2000,
    commitTimeoutMs: 1000,
    inFlightMax: overrides.inFlightMax ?? 10,
    send: (bytes) => sent.push(bytes),
    nowMs: () => clock.nowMs,
    onLatency: (latency) => latencies.push(latency),
  });
  return { submitter, sent, latencies, clock };
}

const put = (key: string, bytes = 3) => ({ type: 'put' as const, key, value: new Uint8Array(bytes) });

describe('Submitter', () => {
  it('resolves a request when this replica applies its id, not when it is committed, and reports both latencies', async () => {
    const { submitter, sent, latencies, clock } = harness();
    const pending = submitter.submit(put('a'));
    const { header } = decodeDatagram(sent[0]!);
    expect(header).toMatchObject({ sender: 77, requestId: 1, session: 0 });
    clock.nowMs = 30;
    const entry = { slot: 2, session: 1, seq: 2, view: 0, clientId: 77, requestId: 1, body: new Uint8Array(0), noop: false };
    submitter.onCommitted([entry]);
    let settled = false;
    void pending.then(() => (settled = true));
    await Promise.resolve();
    expect(settled).toBe(false);
    clock.nowMs = 42;
    submitter.onApplied([
      { slot: 1, session: 1, seq: 1, clientId: submitter.clientId + 1, requestId: 1, result: { type: 'put', revision: 9, modRevision: 9 } },
    ]);
    submitter.onApplied([
      { slot: 2, session: 1, seq: 2, clientId: submitter.clientId, requestId: 1, result: { type: 'put', revision: 1, modRevision: 1 } },
    ]);
    await expect(pending).resolves.toEqual({ type: 'put', revision: 1, modRevision: 1 });
    expect(latencies).toEqual([{ committedMs: 30, appliedMs: 42 }]);
  });

  it('resends the same bytes with a doubling spacing, then fails at the deadline as commit_timeout', async () => {
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

  it('sends a floor below every request still in flight', () => {
    const { submitter, sent } = harness();
    void submitter.submit(put('a'));
    void submitter.submit(put('b'));
    const floors = sent.map((bytes) => decodeOpRequest(decodeDatagram(bytes).body));
    expect(floors.map((r) => ('floor' in r ? r.floor : -1))).toEqual([0, 0]);
    submitter.onApplied([
      { slot: 1, session: 1, seq: 1, clientId: submitter.clientId, requestId: 1, result: { type: 'put', revision: 1, modRevision: 1 } },
    ]);
    void submitter.submit(put('c'));
    const third = decodeOpRequest(decodeDatagram(sent[2]!).body);
    expect('floor' in third && third.floor).toBe(1); // request 2 is still in flight
  });

  it('refuses more than inFlightMax requests and datagrams over the limit', async () => {
    const { submitter } = harness({ inFlightMax: 1, datagramBytesMax: 200 });
    void submitter.submit(put('a'));
    await expect(submitter.submit(put('b'))).rejects.toMatchObject({ code: 'overloaded' });
    const big = harness({ datagramBytesMax: 200 }).submitter;
    const refused = big.submit(put('a', 500));
    await expect(refused).rejects.toBeInstanceOf(ServiceError);
    await expect(refused).rejects.toMatchObject({ code: 'value_too_large' });
  });

  it.each([200, 400, 1400, 65_000])(
    'names the exact largest value that fits a %i-byte datagram: it is sent, one byte more is refused',
    async (limit) => {
      const { submitter, sent } = harness({ datagramBytesMax: limit });
      const refused = submitter.submit({ ...put('k', limit), contentType: 'image/png' });
      await expect(refused).rejects.toMatchObject({ code: 'value_too_large', message: expect.stringMatching(/at most \d+ bytes fit/) });
      const message = await refused.then(
        () => '',
        (err: Error) => err.message,
      );
      const largest = Number(/at most (\d+) bytes/.exec(message)![1]);
      void submitter.submit({ ...put('k', largest), contentType: 'image/png' });
      expect(sent).toHaveLength(1);
      expect(sent[0]!.byteLength).toBeLessThanOrEqual(limit);
      await expect(submitter.submit({ ...put('k', largest + 1), contentType: 'image/png' })).rejects.toMatchObject({
        code: 'value_too_large',
      });
      expect(sent).toHaveLength(1);
    },
  );
});
