// The MRTOM client inside a replica node: submits operations for HTTP callers as REQUESTs to the
// sequencer and resolves each one when this replica applies it (which implies it committed). A request
// not applied in time is resent with the SAME request id; replicas deduplicate by (client id, request
// id), so a retry never applies twice (docs/design.md §2, last paragraph).
import type { LogEntry } from '../consensus/log-entry.js';
import { MessageType } from '../mrtom/header.js';
import { encodeDatagram } from '../mrtom/messages.js';
import { encodeOpRequest, type KvOp, type OpResult } from '../store/ops.js';
import type { AppliedEntry } from '../store/applied.js';
import { ServiceError } from '../api/service-errors.js';

export interface SubmitterOptions {
  group: number;
  /** Unique per process incarnation (the caller draws it at random), so request ids of an earlier
   *  incarnation never collide with this one's in the replicas' deduplication. */
  clientId: number;
  datagramBytesMax: number;
  /** Resend a REQUEST that has not been applied after this long. */
  resendIntervalMs: number;
  /** Resends back off (doubling) up to this spacing: under load a slow commit is not a lost one, and
   *  every resend is another stamped copy for the replicas to deduplicate. */
  resendIntervalMsMax: number;
  /** Give up (504) after this long; the operation may still commit later. */
  commitTimeoutMs: number;
  /** Requests in flight at once; more are refused with 503 rather than queued without bound. */
  inFlightMax: number;
  send(bytes: Uint8Array): void;
  nowMs(): number;
  /** Told, per request, how long it took from submission to being known committed and to being applied here. */
  onLatency?(latency: RequestLatency): void;
}

export interface RequestLatency {
  committedMs: number;
  appliedMs: number;
}

interface InFlight {
  bytes: Uint8Array;
  submittedAtMs: number;
  /** When this replica handed the request's entry to its state store (it committed); null before. */
  committedAtMs: number | null;
  sentAtMs: number;
  resendAfterMs: number;
  deadlineMs: number;
  resolve(result: OpResult): void;
  reject(error: Error): void;
}

/** How the replica host tells the submitter about its own entries (replica-host.ts). */
export interface SubmitterFeed {
  /** Committed entries handed to the state store, not yet applied. */
  onCommitted(entries: readonly LogEntry[]): void;
  /** What applying them returned: the results callers are answered with. */
  onApplied(entries: readonly AppliedEntry[]): void;
}

export class Submitter implements SubmitterFeed {
  readonly clientId: number;
  private nextRequestId = 1;
  private readonly inFlight = new Map<number, InFlight>();

  constructor(private readonly options: SubmitterOptions) {
    this.clientId = options.clientId;
  }

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
        committedAtMs: null,
        sentAtMs: nowMs,
        resendAfterMs: this.options.resendIntervalMs,
        deadlineMs: nowMs + this.options.commitTimeoutMs,
        resolve,
        reject,
      });
      this.options.send(bytes);
    });
  }

  onCommitted(entries: readonly LogEntry[]): void {
    const nowMs = this.options.nowMs();
    for (const entry of entries) {
      if (entry.clientId !== this.clientId) continue;
      const request = this.inFlight.get(entry.requestId);
      if (request && request.committedAtMs === null) request.committedAtMs = nowMs;
    }
  }

  /** Called with what this replica applied: resolves our own requests among them. Only now does this
   *  replica's state reflect them, which is what gives read-your-writes and CAS results (docs/design.md §2). */
  onApplied(entries: readonly AppliedEntry[]): void {
    for (const entry of entries) {
      if (entry.clientId !== this.clientId) continue;
      const request = this.inFlight.get(entry.requestId);
      if (!request) continue; // Timed out earlier, or a duplicate apply result.
      this.inFlight.delete(entry.requestId);
      const appliedMs = this.options.nowMs() - request.submittedAtMs;
      this.options.onLatency?.({ committedMs: (request.committedAtMs ?? this.options.nowMs()) - request.submittedAtMs, appliedMs });
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
        request.resendAfterMs = Math.min(2 * request.resendAfterMs, this.options.resendIntervalMsMax);
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
