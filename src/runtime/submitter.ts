// The MRTOM client inside a replica node: submits operations for HTTP callers as REQUESTs to the
// sequencer and resolves each one when this replica applies it (which implies it committed). A request
// not applied in time is resent with the SAME request id; replicas deduplicate by (client id, request
// id), so a retry never applies twice (docs/design.md §2, last paragraph).
import { randomInt } from 'node:crypto';
import { HEADER_BYTES, MessageType } from '../mrtom/header.js';
import { encodeDatagram } from '../mrtom/messages.js';
import { encodeOpRequest, type KvOp, type OpResult } from '../store/ops.js';
import type { AppliedEntry } from '../store/log-entry.js';
import { ServiceError } from '../api/service-errors.js';

export interface SubmitterOptions {
  group: number;
  datagramBytesMax: number;
  /** Resend a REQUEST that has not been applied after this long. */
  resendIntervalMs: number;
  /** Give up (504) after this long; the operation may still commit later. */
  commitTimeoutMs: number;
  /** Requests in flight at once; more are refused with 503 rather than queued without bound. */
  inFlightMax: number;
  send(bytes: Uint8Array): void;
  nowMs(): number;
  /** Told how long each request took from submission to being applied here. */
  onCommitted?(latencyMs: number): void;
}

/** Resends back off up to this spacing: under load a slow commit is not a lost one, and every resend
 *  is another stamped copy for the replicas to deduplicate. */
const RESEND_INTERVAL_MS_MAX = 2_000;

interface InFlight {
  bytes: Uint8Array;
  submittedAtMs: number;
  sentAtMs: number;
  resendAfterMs: number;
  deadlineMs: number;
  resolve(result: OpResult): void;
  reject(error: Error): void;
}

export class Submitter {
  /** Random per process incarnation, so request ids of an earlier incarnation never collide. */
  readonly clientId = randomInt(1, 0xffff_ffff);
  private nextRequestId = 1;
  private readonly inFlight = new Map<number, InFlight>();

  constructor(private readonly options: SubmitterOptions) {}

  get inFlightCount(): number {
    return this.inFlight.size;
  }

  /** Every request id at or below the floor is finished; replicas may forget their cached results. */
  private floor(): number {
    for (const requestId of this.inFlight.keys()) return requestId - 1; // Map keeps insertion order.
    return this.nextRequestId - 1;
  }

  submit(op: KvOp): Promise<OpResult> {
    if (this.inFlight.size >= this.options.inFlightMax) {
      return Promise.reject(new ServiceError('overloaded', `${this.inFlight.size} requests already in flight on this node`, 1));
    }
    // The floor is taken before this request counts: it must stay below the new request id.
    const floor = this.floor();
    const requestId = this.nextRequestId;
    const bytes = this.encodeRequest(op, floor, requestId);
    // The one size check of a request: the datagram as it will be sent (docs/api.md, limits).
    if (bytes.byteLength > this.options.datagramBytesMax) return Promise.reject(this.tooLarge(op, floor, requestId, bytes.byteLength));
    this.nextRequestId += 1;
    const nowMs = this.options.nowMs();
    return new Promise<OpResult>((resolve, reject) => {
      this.inFlight.set(requestId, {
        bytes,
        submittedAtMs: nowMs,
        sentAtMs: nowMs,
        resendAfterMs: this.options.resendIntervalMs,
        deadlineMs: nowMs + this.options.commitTimeoutMs,
        resolve,
        reject,
      });
      this.options.send(bytes);
    });
  }

  /** Called with what this replica applied: resolves our own requests among them. */
  onApplied(entries: readonly AppliedEntry[]): void {
    for (const entry of entries) {
      if (entry.clientId !== this.clientId) continue;
      const request = this.inFlight.get(entry.requestId);
      if (!request) continue; // Timed out earlier, or a duplicate apply result.
      this.inFlight.delete(entry.requestId);
      this.options.onCommitted?.(this.options.nowMs() - request.submittedAtMs);
      request.resolve(entry.result);
    }
  }

  /** Resends what is overdue and fails what is past its deadline. */
  onTick(): void {
    const nowMs = this.options.nowMs();
    for (const [requestId, request] of this.inFlight) {
      if (nowMs >= request.deadlineMs) {
        this.inFlight.delete(requestId);
        request.reject(
          new ServiceError(
            'commit_timeout',
            `not committed within ${this.options.commitTimeoutMs} ms; the operation may or may not have been applied`,
          ),
        );
      } else if (nowMs - request.sentAtMs >= request.resendAfterMs) {
        request.sentAtMs = nowMs;
        request.resendAfterMs = Math.min(2 * request.resendAfterMs, RESEND_INTERVAL_MS_MAX);
        this.options.send(request.bytes);
      }
    }
  }

  private encodeRequest(op: KvOp, floor: number, requestId: number): Buffer {
    const header = {
      type: MessageType.REQUEST,
      group: this.options.group,
      session: 0,
      view: 0,
      seq: 0,
      commit: 0,
      requestId,
      sender: this.clientId,
    };
    return encodeDatagram(header, encodeOpRequest({ floor, op }));
  }

  /** The 413 for an op whose datagram is `bytes` long; for a put it names the largest value that fits. */
  private tooLarge(op: KvOp, floor: number, requestId: number, bytes: number): ServiceError {
    const limit = this.options.datagramBytesMax;
    if (op.type !== 'put') {
      return new ServiceError('value_too_large', `operation needs a ${bytes}-byte datagram, over the ${limit}-byte limit`);
    }
    // Shrinking the value by the excess may also shrink its msgpack length prefix, so a few bytes more can fit.
    const fits = (valueBytes: number): boolean =>
      this.encodeRequest({ ...op, value: new Uint8Array(valueBytes) }, floor, requestId).byteLength <= limit;
    let valueBytesMax = Math.max(0, op.value.byteLength - (bytes - limit));
    while (fits(valueBytesMax + 1)) valueBytesMax += 1;
    if (!fits(valueBytesMax)) valueBytesMax = 0;
    return new ServiceError(
      'value_too_large',
      `value of ${op.value.byteLength} bytes does not fit one datagram: at most ${valueBytesMax} bytes fit with this key and content type, and values are not yet split across datagrams`,
    );
  }

  /** Fails every request in flight (shutdown or loss of the sequencer). */
  failAll(error: ServiceError): void {
    for (const request of this.inFlight.values()) request.reject(error);
    this.inFlight.clear();
  }
}
