// A simulated MRTOM submitter with one logical workload process behind it (docs/background.md §4.3):
// one outstanding operation at a time, submitted as a REQUEST from its replica node's address to the
// sequencer serving that replica's current session, resent with the same request id until the node
// applies it, abandoned (outcome unknown) after a deadline. Like the production submitter, a node restart
// starts a new incarnation with a new client id; the operation in flight at the crash stays unknown.
import { MessageType } from '../../src/mrtom/header.js';
import { encodeDatagram } from '../../src/mrtom/messages.js';
import type { AppliedEntry } from '../../src/store/applied.js';
import { encodeOpRequest, type KvOp, type OpResult } from '../../src/store/ops.js';
import type { History, HistoryOp, KvInput, KvOutput } from './history.js';
import type { Network } from './network.js';
import type { Prng } from './prng.js';
import type { Scheduler } from './scheduler.js';
import type { SimReplica } from './sim-replica.js';
import type { Tracer } from './trace.js';

export interface ClientTiming {
  thinkMsMax: number;
  resendMsMin: number;
  resendMsMax: number;
  /** Give up after this long; must exceed the liveness bound so a stuck op is reported, not abandoned. */
  deadlineMs: number;
}

export interface ClientDeps {
  scheduler: Scheduler;
  network: Network;
  tracer: Tracer;
  history: History;
  prng: Prng;
  group: number;
  keys: readonly string[];
  timing: ClientTiming;
  /** Operations this client invokes at most. */
  opsMax: number;
  /** No new operation is invoked from this time on. */
  invokeEndMs: number;
  /** A fresh client id for each incarnation (unique across the run). */
  newClientId: () => number;
}

interface Outstanding {
  op: HistoryOp;
  bytes: Uint8Array;
}

export class SimClient {
  private clientId: number;
  private nextRequestId = 1;
  private outstanding: Outstanding | null = null;
  private invoked = 0;
  /** A pending think-time timer; at most one at a time. */
  private thinking = false;

  constructor(
    readonly index: number,
    readonly host: SimReplica,
    private readonly deps: ClientDeps,
  ) {
    this.clientId = deps.newClientId();
  }

  start(): void {
    this.think();
  }

  /** Nothing outstanding and nothing more to invoke. */
  isFinished(nowMs: number): boolean {
    return this.outstanding === null && (this.invoked >= this.deps.opsMax || nowMs >= this.deps.invokeEndMs);
  }

  /** The node crashed: the caller's operation is cut off, its outcome unknown. */
  onHostCrash(): void {
    if (this.outstanding !== null) {
      this.deps.history.abandon(this.outstanding.op, this.deps.scheduler.nowMs);
      this.trace(() => `abandon #${this.outstanding!.op.id}: node crashed`);
      this.outstanding = null;
    }
  }

  /** The node is back: a new submitter incarnation. */
  onHostRestart(): void {
    this.clientId = this.deps.newClientId();
    this.nextRequestId = 1;
    this.think();
  }

  onApplied(entries: readonly AppliedEntry[]): void {
    const outstanding = this.outstanding;
    if (outstanding === null) return;
    for (const entry of entries) {
      if (entry.clientId !== this.clientId || entry.requestId !== outstanding.op.requestId) continue;
      const output = outputOf(outstanding.op, entry.result);
      this.deps.history.complete(outstanding.op, this.deps.scheduler.nowMs, output);
      this.trace(() => `complete #${outstanding.op.id} at slot ${entry.slot}`);
      this.outstanding = null;
      this.think();
      return;
    }
  }

  private think(): void {
    if (this.thinking || this.outstanding !== null) return;
    this.thinking = true;
    this.deps.scheduler.after(this.deps.prng.between(0, this.deps.timing.thinkMsMax), () => {
      this.thinking = false;
      this.invokeNext();
    });
  }

  private invokeNext(): void {
    const { scheduler, prng, keys, history } = this.deps;
    // A down node has no submitter: the next incarnation resumes the workload.
    if (!this.host.isUp || this.outstanding !== null) return;
    if (this.invoked >= this.deps.opsMax || scheduler.nowMs >= this.deps.invokeEndMs) return;
    this.invoked += 1;
    const key = prng.pick(keys);
    const roll = prng.float();
    const input: KvInput =
      roll < 0.4 ? { type: 'put', value: `${this.index}.${this.invoked}` } : roll < 0.85 ? { type: 'get' } : { type: 'delete' };
    const requestId = this.nextRequestId++;
    // One request in flight per client: every earlier id has completed or been abandoned.
    const body = encodeOpRequest({ floor: requestId - 1, op: kvOpOf(key, input) });
    const bytes = encodeDatagram(
      { type: MessageType.REQUEST, group: this.deps.group, session: 0, view: 0, seq: 0, commit: 0, requestId, sender: this.clientId },
      body,
    );
    const op = history.invoke({ client: this.index, clientId: this.clientId, requestId, key, input, invokeMs: scheduler.nowMs });
    const outstanding = { op, bytes };
    this.outstanding = outstanding;
    this.trace(
      () => `invoke #${op.id} ${this.clientId}#${requestId} ${input.type}(${key}${input.type === 'put' ? `, ${input.value}` : ''})`,
    );
    this.send(outstanding);
    scheduler.after(this.deps.timing.deadlineMs, () => {
      if (this.outstanding !== outstanding) return;
      history.abandon(op, scheduler.nowMs);
      this.trace(() => `abandon #${op.id}: deadline`);
      this.outstanding = null;
      this.think();
    });
  }

  private send(outstanding: Outstanding): void {
    const sequencer = this.host.sequencerForRequests();
    if (sequencer !== null) this.deps.network.send(this.host.name, `s${sequencer}`, outstanding.bytes);
    const { resendMsMin, resendMsMax } = this.deps.timing;
    this.deps.scheduler.after(this.deps.prng.between(resendMsMin, resendMsMax), () => {
      if (this.outstanding === outstanding) this.send(outstanding);
    });
  }

  private trace(text: () => string): void {
    this.deps.tracer.event(this.deps.scheduler.nowMs, `c${this.index}`, text);
  }
}

/** A linearizable read goes through the log as a transaction with one get and no compares, as the API sends it. */
function kvOpOf(key: string, input: KvInput): KvOp {
  switch (input.type) {
    case 'put':
      return { type: 'put', key, value: new TextEncoder().encode(input.value) };
    case 'get':
      return { type: 'txn', txn: { compare: [], success: [{ type: 'get', key }], failure: [] } };
    case 'delete':
      return { type: 'delete', key };
  }
}

/** The result as the history records it; a result of the wrong kind means the replicas mixed requests up. */
function outputOf(op: HistoryOp, result: OpResult): KvOutput {
  const mismatch = (detail: string) =>
    new Error(`client ${op.client} ${op.clientId}#${op.requestId}: ${op.input.type} answered with ${detail}`);
  if (result.type === 'invalid') throw mismatch(`an invalid result (${result.reason})`);
  switch (op.input.type) {
    case 'put':
      if (result.type !== 'put') throw mismatch(`a ${result.type} result`);
      return { type: 'put' };
    case 'delete':
      if (result.type !== 'delete') throw mismatch(`a ${result.type} result`);
      return { type: 'delete', deleted: result.deleted };
    case 'get': {
      const read = result.type === 'txn' && result.succeeded && result.results.length === 1 ? result.results[0] : undefined;
      if (read?.type !== 'get') throw mismatch(`a ${result.type} result that is not one get`);
      return { type: 'get', value: read.record === null ? null : new TextDecoder().decode(read.record.value) };
    }
  }
}
