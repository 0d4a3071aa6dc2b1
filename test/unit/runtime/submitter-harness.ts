// A Submitter over a recorded send and a settable clock, for the submitter tests: what it sent, decoded,
// and applied entries to feed back to it.
import { Submitter, type RequestStages } from '../../../src/runtime/submitter.js';
import { decodeDatagram } from '../../../src/mrtom/messages.js';
import { decodeOpRequest, type OpRequest, type OpResult } from '../../../src/store/ops.js';
import type { AppliedEntry } from '../../../src/store/applied.js';

export interface Overrides {
  inFlightMax?: number;
  datagramBytesMax?: number;
  resendIntervalMsMax?: number;
  batchesInFlightMax?: number;
  singleBatchFromOps?: number;
}

export function harness(overrides: Overrides = {}) {
  const sent: Uint8Array[] = [];
  const latencies: RequestStages[] = [];
  const clock = { nowMs: 0 };
  const submitter = new Submitter({
    group: 1,
    clientId: 77,
    datagramBytesMax: overrides.datagramBytesMax ?? 1400,
    resendIntervalMs: 100,
    resendIntervalMsMax: overrides.resendIntervalMsMax ?? 2000,
    commitTimeoutMs: 1000,
    inFlightMax: overrides.inFlightMax ?? 5000,
    batchesInFlightMax: overrides.batchesInFlightMax ?? 1,
    singleBatchFromOps: overrides.singleBatchFromOps ?? Number.POSITIVE_INFINITY,
    send: (bytes) => sent.push(bytes),
    nowMs: () => clock.nowMs,
    wallMs: () => 1_700_000_000_000 + clock.nowMs,
    onLatency: (latency) => latencies.push(latency),
  });
  /** The batches sent so far: header request id and the body's ops' request ids. */
  const batches = () =>
    sent.map((bytes) => {
      const { header, body } = decodeDatagram(bytes);
      const request = decodeOpRequest(body) as OpRequest;
      return { requestId: header.requestId, floor: request.floor, ids: request.ops.map((o) => o.requestId) };
    });
  const applied = (...requestIds: number[]): AppliedEntry[] =>
    requestIds.map((requestId) => ({
      slot: 1,
      session: 1,
      seq: 1,
      clientId: 77,
      requestId,
      result: { type: 'put', revision: requestId, modRevision: requestId },
    }));
  /** The ops of the `index`th datagram sent. */
  const opsSent = (index: number) => (decodeOpRequest(decodeDatagram(sent[index]!).body) as OpRequest).ops;
  /** This submitter's request `requestId` applied here with `result`. */
  const appliedWith = (requestId: number, result: OpResult): AppliedEntry[] => [
    { slot: 1, session: 1, seq: 1, clientId: 77, requestId, result },
  ];
  return { submitter, sent, batches, opsSent, applied, appliedWith, latencies, clock };
}

export const put = (key: string, bytes = 3) => ({ type: 'put' as const, key, value: new Uint8Array(bytes) });
