// The MRTOM client inside a replica node: submits operations for HTTP callers to the sequencer and resolves
// each when this replica has applied it (which implies it committed). Operations are batched "while busy"
// (NOPaxos's VR batching, docs/background.md §1): while fewer than batchesInFlightMax batches are out (one,
// under load), what waits goes at once — so a lone caller waits for no timer — and while they are out the next batch fills,
// up to one datagram and REQUEST_OPS_MAX ops. One batch is one REQUEST and one slot; deduplication stays
// per operation (client id, request id). A batch not applied in time is resent, the same bytes; replicas
// deduplicate, so a retry never applies twice (docs/design.md §2, last paragraph). A put too large for
// one REQUEST goes as pieces, one op each, sent one after the other (docs/protocol.md, "Large values").
import assert from 'node:assert/strict';
import type { LogEntry } from '../consensus/log-entry.js';
import { HEADER_BYTES, MessageType } from '../mrtom/header.js';
import { encodeDatagram } from '../mrtom/messages.js';
import {
  assembleOpRequest,
  encodeRequestOp,
  isSplittable,
  opRequestOverheadBytes,
  PIECES_PER_PUT_MAX,
  REQUEST_OPS_MAX,
  travelsAlone,
  type KvOp,
  type OpResult,
  type SplittableOp,
} from '../store/ops.js';
import type { AppliedEntry } from '../store/applied.js';
import { ServiceError } from '../api/service-errors.js';
import { type DelayEstimate, resendTimeoutMs, sampleDelay } from '../lib/delay-estimate.js';
import { fingerprintOf, type Idempotency } from '../store/idempotency.js';
import { txnValueBytes } from '../store/txn.js';
import { type PieceCapacity, splitOp } from './op-split.js';

/**
 * Split puts in flight at most per submitter; more are 503. Every replica holds at most ASSEMBLIES_MAX
 * (src/store/pieces.ts) and evicts the oldest beyond, so live submitters must stay well below it.
 */
export const SPLIT_PUTS_IN_FLIGHT_MAX = 8;
/** msgpack's bin header grows from 2 bytes (empty) to at most 5 (bin32) as a piece fills. */
const BIN_HEADER_GROWTH_BYTES = 3;

export interface SubmitterOptions {
  group: number;
  /** Unique per process incarnation (the caller draws it at random), so request ids of an earlier
   *  incarnation never collide with this one's in the replicas' deduplication. */
  clientId: number;
  datagramBytesMax: number;
  /** Resend a batch that has not been applied after this long at least; longer while batches take
   *  longer to apply (src/lib/delay-estimate.ts), so a slow commit is not mistaken for a lost one. */
  resendIntervalMs: number;
  /** Resends back off (doubling) up to this spacing: under load a slow commit is not a lost one, and
   *  every resend is another stamped copy for the replicas to deduplicate. */
  resendIntervalMsMax: number;
  /** Give up (504) after this long; the operation may still commit later. */
  commitTimeoutMs: number;
  /** Operations not yet applied, at most; more are refused with 503 rather than queued without bound. */
  inFlightMax: number;
  /** Batches sent and not yet applied, at most; operations arriving meanwhile fill the next one. */
  batchesInFlightMax: number;
  /**
   * With this many operations not yet applied, one batch at a time: under load the round trip fills it,
   * and fewer, fuller slots cost every replica less per write; with fewer, a second batch goes at once so
   * a caller never waits a round behind another's (docs/performance.md, "The third round").
   */
  singleBatchFromOps: number;
  send(bytes: Uint8Array): void;
  nowMs(): number;
  /** This machine's wall clock: an Idempotency-Key's submission time, which every replica sees (clock.ts). */
  wallMs(): number;
  /** Told, per applied request, when it reached each stage (docs/performance.md, "Where a write's time goes"). */
  onLatency?(latency: RequestStages): void;
}

/**
 * Milliseconds from submission to each stage of a request, on this replica: its batch sent, stamped (its
 * ORDERED appended here), durable in this replica's log, known committed, applied (the reply). A stage not
 * seen here (the entry came by log transfer, say) is null.
 */
export type RequestStages = {
  sentMs: number;
  stampedMs: number | null;
  durableMs: number | null;
  committedMs: number | null;
  appliedMs: number;
};

/** How the replica host tells the submitter about its own entries (replica-host.ts). */
export interface SubmitterFeed {
  /** Entries appended to the replica's log, not yet durable. */
  onLogged(entries: readonly LogEntry[]): void;
  /** Entries written to the replica's durable log. */
  onDurable(entries: readonly LogEntry[]): void;
  /** Committed entries handed to the state store, not yet applied. */
  onCommitted(entries: readonly LogEntry[]): void;
  /** What applying them returned: the results callers are answered with. */
  onApplied(entries: readonly AppliedEntry[]): void;
}

interface PendingOp {
  requestId: number;
  /** The op as it sits in a REQUEST body (encodeRequestOp), encoded once. */
  encoded: Uint8Array;
  alone: boolean;
  submittedAtMs: number;
  deadlineMs: number;
  resolve(result: OpResult): void;
  reject(error: Error): void;
}

interface Batch {
  bytes: Uint8Array;
  /** Request ids of its ops not yet answered (applied, or given up on). */
  open: Set<number>;
  opCount: number;
  firstSentAtMs: number;
  /** The last send, first or resend. */
  sentAtMs: number;
  resendAfterMs: number;
  /** When its entry reached each stage here (the first time); null before. */
  stampedAtMs: number | null;
  durableAtMs: number | null;
  committedAtMs: number | null;
}

export class Submitter implements SubmitterFeed {
  readonly clientId: number;
  private nextRequestId = 1;
  /** Every op not yet answered, in request id order (a Map keeps insertion order). */
  private readonly ops = new Map<number, PendingOp>();
  /** Ops not yet in a batch, oldest first. */
  private waiting: PendingOp[] = [];
  /** How long batches take from first send to applied here. Resent ones count too (unlike TCP's Karn rule):
   *  when every batch is slower than the floor, every batch is resent, and only they can raise the estimate. */
  private applyDelay: DelayEstimate | undefined;
  /** Batches sent and not yet done, by their first op's request id (the REQUEST's header requestId). */
  private readonly batches = new Map<number, Batch>();
  private readonly batchOf = new Map<number, Batch>();
  /** First request id of every split put in flight: the floor stays below it until the put ends, so no
   *  replica drops its pieces meanwhile (src/store/pieces.ts). */
  private readonly splitFirsts = new Set<number>();

  constructor(private readonly options: SubmitterOptions) {
    this.clientId = options.clientId;
  }

  get inFlightCount(): number {
    return this.ops.size;
  }

  /** With `idempotencyKey`, a repeat of the op under the same key, from any node, gets this op's result. */
  submit(op: KvOp, idempotencyKey?: string): Promise<OpResult> {
    if (this.ops.size >= this.options.inFlightMax) {
      return Promise.reject(new ServiceError('overloaded', `${this.ops.size} requests already in flight on this node`, 1));
    }
    const requestId = this.nextRequestId;
    const idempotency =
      idempotencyKey === undefined ? undefined : { key: idempotencyKey, fingerprint: fingerprintOf(op), atMs: this.options.wallMs() };
    const encoded = encodeRequestOp({ requestId, op, ...(idempotency === undefined ? {} : { idempotency }) });
    // The one size check of an op: alone in a REQUEST, with the largest floor it could be sent with.
    const bytes = this.loneRequestBytes(requestId, encoded);
    if (bytes > this.options.datagramBytesMax) {
      return isSplittable(op) ? this.submitSplit(op, idempotency) : Promise.reject(this.tooLarge(bytes));
    }
    this.nextRequestId += 1;
    return new Promise<OpResult>((resolve, reject) => this.enqueue(requestId, encoded, travelsAlone(op), resolve, reject));
  }

  private enqueue(
    requestId: number,
    encoded: Uint8Array,
    alone: boolean,
    resolve: PendingOp['resolve'],
    reject: PendingOp['reject'],
  ): void {
    const nowMs = this.options.nowMs();
    const pending: PendingOp = {
      requestId,
      encoded,
      alone,
      submittedAtMs: nowMs,
      deadlineMs: nowMs + this.options.commitTimeoutMs,
      resolve,
      reject,
    };
    this.ops.set(requestId, pending);
    this.waiting.push(pending);
    this.sendWaiting();
  }

  /**
   * A put or txn too large for one REQUEST goes as pieces, one after the other: each is sent once the one
   * before it applied here, so every replica applies them in order (docs/protocol.md, "Large values"). The
   * caller is answered with the op's result, which its last piece carries; the Idempotency-Key goes with it.
   */
  private submitSplit(op: SplittableOp, idempotency: Idempotency | undefined): Promise<OpResult> {
    if (this.splitFirsts.size >= SPLIT_PUTS_IN_FLIGHT_MAX) {
      return Promise.reject(new ServiceError('overloaded', `${this.splitFirsts.size} large writes already in flight on this node`, 1));
    }
    const first = this.nextRequestId;
    const ops = splitOp(op, first, this.pieceCapacity(first, idempotency));
    const what = op.type === 'put' ? `a ${op.value.byteLength}-byte put` : `a txn of ${txnValueBytes(op.txn)} value bytes`;
    if (typeof ops === 'string') return Promise.reject(new ServiceError('value_too_large', `${what} cannot be split: ${ops}`));
    this.nextRequestId += ops.length;
    this.splitFirsts.add(first);
    return new Promise<OpResult>((resolve, reject) => {
      const end = (): void => void this.splitFirsts.delete(first);
      const release = (index: number): void => {
        const requestId = first + index;
        const last = index === ops.length - 1;
        const encoded = encodeRequestOp({ requestId, op: ops[index]!, ...(last && idempotency !== undefined ? { idempotency } : {}) });
        assert.ok(this.loneRequestBytes(requestId, encoded) <= this.options.datagramBytesMax, `piece ${index} does not fit a datagram`);
        const onResult = (result: OpResult): void => {
          if (last || result.type !== 'piece_held') end();
          if (last) return resolve(result);
          if (result.type === 'piece_held') return release(index + 1);
          const reason = result.type === 'invalid' ? result.reason : result.type;
          reject(new ServiceError('unavailable', `piece ${index} of ${what} was refused (${reason}); nothing was written`, 1));
        };
        this.enqueue(requestId, encoded, false, onResult, (error) => {
          end();
          reject(error);
        });
      };
      release(0);
    });
  }

  /** How many value bytes a piece carries, and what room the last op leaves, sized with the largest
   *  request ids and floor they can have. */
  private pieceCapacity(first: number, idempotency: Idempotency | undefined): PieceCapacity {
    const lastId = first + PIECES_PER_PUT_MAX;
    const room = (encoded: Uint8Array): number =>
      this.options.datagramBytesMax - this.loneRequestBytes(lastId, encoded) - BIN_HEADER_GROWTH_BYTES;
    const piece = encodeRequestOp({ requestId: lastId, op: { type: 'piece', first, index: PIECES_PER_PUT_MAX, bytes: new Uint8Array(0) } });
    return {
      pieceBytes: room(piece),
      roomBeside: (last) => room(encodeRequestOp({ requestId: lastId, op: last, ...(idempotency === undefined ? {} : { idempotency }) })),
    };
  }

  onLogged(entries: readonly LogEntry[]): void {
    for (const batch of this.ownBatches(entries)) batch.stampedAtMs ??= this.options.nowMs();
  }

  onDurable(entries: readonly LogEntry[]): void {
    for (const batch of this.ownBatches(entries)) batch.durableAtMs ??= this.options.nowMs();
  }

  onCommitted(entries: readonly LogEntry[]): void {
    for (const batch of this.ownBatches(entries)) batch.committedAtMs ??= this.options.nowMs();
  }

  /** The batches in flight that these entries carry (an entry's requestId is its batch's first op's). */
  private *ownBatches(entries: readonly LogEntry[]): Generator<Batch> {
    for (const entry of entries) {
      if (entry.clientId !== this.clientId) continue;
      const batch = this.batches.get(entry.requestId);
      if (batch) yield batch;
    }
  }

  /** Called with what this replica applied: resolves our own requests among them. Only now does this
   *  replica's state reflect them, which is what gives read-your-writes and CAS results (docs/design.md §2). */
  onApplied(entries: readonly AppliedEntry[]): void {
    const nowMs = this.options.nowMs();
    for (const entry of entries) {
      if (entry.clientId !== this.clientId) continue;
      const op = this.ops.get(entry.requestId);
      if (!op) continue; // Timed out earlier, or a duplicate apply result.
      const batch = this.batchOf.get(op.requestId);
      if (batch) {
        this.options.onLatency?.(stagesOf(op, batch, nowMs));
        if (batch.open.size === batch.opCount) this.applyDelay = sampleDelay(this.applyDelay, nowMs - batch.firstSentAtMs);
      }
      this.finish(op);
      op.resolve(entry.result);
    }
    this.sendWaiting();
  }

  /** Resends what is overdue and fails what is past its deadline. */
  onTick(): void {
    const nowMs = this.options.nowMs();
    for (const op of this.ops.values()) {
      if (nowMs < op.deadlineMs) continue;
      this.finish(op);
      const message = `not committed within ${this.options.commitTimeoutMs} ms; the operation may or may not have been applied`;
      op.reject(new ServiceError('commit_timeout', message));
    }
    for (const batch of this.batches.values()) {
      if (nowMs - batch.sentAtMs < batch.resendAfterMs) continue;
      batch.sentAtMs = nowMs;
      batch.resendAfterMs = Math.min(2 * batch.resendAfterMs, this.options.resendIntervalMsMax);
      this.options.send(batch.bytes);
    }
    this.sendWaiting();
  }

  /** Fails every request in flight (shutdown or loss of the sequencer). */
  failAll(error: ServiceError): void {
    for (const op of this.ops.values()) op.reject(error);
    this.ops.clear();
    this.waiting = [];
    this.batches.clear();
    this.batchOf.clear();
    this.splitFirsts.clear();
  }

  /** Every request id at or below the floor is finished; replicas may forget their cached results. */
  private floor(): number {
    // Ops enter `ops` in request id order, except a split put's later pieces; those are above its first id.
    const oldest = this.ops.keys().next();
    let lowest = oldest.done === true ? this.nextRequestId : oldest.value;
    for (const first of this.splitFirsts) lowest = Math.min(lowest, first);
    return lowest - 1;
  }

  private sendWaiting(): void {
    const allowed = this.ops.size >= this.options.singleBatchFromOps ? 1 : this.options.batchesInFlightMax;
    while (this.waiting.length > 0 && this.batches.size < allowed) this.send(this.takeBatch());
  }

  /** The oldest waiting ops that fit one REQUEST together; an op that reads a range goes alone. */
  private takeBatch(): PendingOp[] {
    const first = this.waiting[0]!;
    let count = 1;
    if (!first.alone) {
      // The worst-case array header (more than 15 ops), so the sum is an upper bound.
      let bytes = HEADER_BYTES + opRequestOverheadBytes(this.floor(), REQUEST_OPS_MAX) + first.encoded.byteLength;
      for (; count < this.waiting.length && count < REQUEST_OPS_MAX; count++) {
        const next = this.waiting[count]!;
        if (next.alone || bytes + next.encoded.byteLength > this.options.datagramBytesMax) break;
        bytes += next.encoded.byteLength;
      }
    }
    return this.waiting.splice(0, count);
  }

  private send(ops: PendingOp[]): void {
    const first = ops[0]!.requestId;
    const body = assembleOpRequest(
      this.floor(),
      ops.map((op) => op.encoded),
    );
    const header = {
      type: MessageType.REQUEST,
      group: this.options.group,
      session: 0,
      view: 0,
      seq: 0,
      commit: 0,
      requestId: first,
      sender: this.clientId,
    };
    const nowMs = this.options.nowMs();
    const batch: Batch = {
      bytes: encodeDatagram(header, body),
      open: new Set(ops.map((op) => op.requestId)),
      opCount: ops.length,
      firstSentAtMs: nowMs,
      sentAtMs: nowMs,
      stampedAtMs: null,
      durableAtMs: null,
      committedAtMs: null,
      resendAfterMs: resendTimeoutMs(this.applyDelay, this.options.resendIntervalMs, this.options.resendIntervalMsMax),
    };
    this.batches.set(first, batch);
    for (const op of ops) this.batchOf.set(op.requestId, batch);
    this.options.send(batch.bytes);
  }

  /** The op is answered (applied or given up on): it leaves its batch, and a batch with nothing open is done. */
  private finish(op: PendingOp): void {
    this.ops.delete(op.requestId);
    const batch = this.batchOf.get(op.requestId);
    if (batch === undefined) {
      this.waiting = this.waiting.filter((waiting) => waiting !== op);
      return;
    }
    this.batchOf.delete(op.requestId);
    batch.open.delete(op.requestId);
    if (batch.open.size === 0) {
      for (const [first, candidate] of this.batches) if (candidate === batch) this.batches.delete(first);
    }
  }

  private loneRequestBytes(requestId: number, encoded: Uint8Array): number {
    return HEADER_BYTES + opRequestOverheadBytes(requestId - 1, 1) + encoded.byteLength;
  }

  /** The 413 for an op other than a put or txn (those are split) whose lone REQUEST is `bytes` long. */
  private tooLarge(bytes: number): ServiceError {
    const limit = this.options.datagramBytesMax;
    return new ServiceError(
      'value_too_large',
      `operation needs a ${bytes}-byte datagram, over the ${limit}-byte limit; only puts and txns are split`,
    );
  }
}

function stagesOf(op: PendingOp, batch: Batch, nowMs: number): RequestStages {
  const since = (atMs: number | null): number | null => (atMs === null ? null : atMs - op.submittedAtMs);
  return {
    sentMs: batch.firstSentAtMs - op.submittedAtMs,
    stampedMs: since(batch.stampedAtMs),
    durableMs: since(batch.durableAtMs),
    committedMs: since(batch.committedAtMs),
    appliedMs: nowMs - op.submittedAtMs,
  };
}
