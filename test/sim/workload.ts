// A simulated workload process (docs/background.md §4.3): one logical client on one replica node, calling
// the node's KvService exactly as the HTTP routes do (src/api): writes and CAS through submit, linearizable
// reads after the read barrier and stale reads at once (readLocal, src/api/consistency.ts), transactions,
// and leases that the leader expires. One operation at a time. An operation whose node crashed under it,
// or whose submitter gave up, has an unknown outcome; one the node refused before sending anything (503)
// certainly never happened and leaves the history, but is counted for the liveness check. Half the writes
// carry an Idempotency-Key, as the SDK's do: one of those whose outcome is unknown is retried under the
// same key — by a new submitter, after a crash — and its history op completes with the retry's answer,
// which must be the one effect the write had (src/store/idempotency.ts).
import { readLocal } from '../../src/api/consistency.js';
import { ServiceError } from '../../src/api/service-errors.js';
import type { KvService } from '../../src/api/service.js';
import type { KeyRecord, KvOp, OpResult } from '../../src/store/ops.js';
import type { History, HistoryOp, KvInput, KvOutput, Observed } from './history.js';
import { shortValue } from './kv-model.js';
import type { Prng } from './prng.js';
import type { Scheduler } from './scheduler.js';
import type { StaleReadLog } from './stale-reads.js';
import type { Tracer } from './trace.js';

/** The node a client runs against, as far as the client can tell. */
export interface ClientHost {
  readonly id: number;
  readonly name: string;
  /** Changes at every start of the node's process. */
  readonly incarnation: number;
  /** The node's API, or null while it is down or starting. */
  readonly service: KvService | null;
}

export interface WorkloadTiming {
  thinkMsMax: number;
  leaseTtlMsMin: number;
  leaseTtlMsMax: number;
}

export interface WorkloadDeps {
  scheduler: Scheduler;
  tracer: Tracer;
  history: History;
  staleReads: StaleReadLog;
  prng: Prng;
  keys: readonly string[];
  timing: WorkloadTiming;
  /** Operations this client invokes at most. */
  opsMax: number;
  /** No new operation is invoked from this time on. */
  invokeEndMs: number;
  /** A result that no correct node could have given: the run fails with it. */
  fail(error: Error): void;
}

/** Codes of a refusal before anything was sent (src/runtime/submission-gate.ts, submitter.ts). */
const REFUSED_UNSENT = new Set(['unavailable', 'overloaded', 'shutting_down', 'value_too_large']);
/** Puts and txns whose value is larger than a submitter's datagram (SIM_SUBMITTER_DATAGRAM_BYTES_MAX): split in pieces. */
const LARGE_VALUE_CHANCE = 0.15;
const LARGE_VALUE_BYTES_MIN = 1_500;
const LARGE_VALUE_BYTES_MAX = 6_000;
/** Compactions stay this far behind what the client saw: a watch this far behind resumes without a gap. */
const COMPACT_MARGIN_REVISIONS = 32;
/** Reads at a revision go back this far from what the client saw, into compacted history at times. */
const PAST_READ_REACH_REVISIONS = 64;
/** A keyed write of unknown outcome is retried this often at most, then abandoned. */
const KEYED_ATTEMPTS_MAX = 4;

/** A keyed write whose outcome is not known yet. */
interface KeyedWrite {
  op: HistoryOp;
  idempotencyKey: string;
  attempts: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class SimClient {
  /** The operation in flight, with the node incarnation it was sent to; null between operations. */
  private outstanding: { op: HistoryOp | null; incarnation: number; keyed: KeyedWrite | null } | null = null;
  /** A keyed write to retry before anything else. */
  private retry: KeyedWrite | null = null;
  private invoked = 0;
  private thinking = false;
  /** The lease this client attaches puts to, once granted. */
  private lease: number | null = null;
  /** The last modRevision this client saw per key, for If-Match. */
  private readonly seen = new Map<string, number>();
  /** Refusals (503 before sending) and when, for the liveness check. */
  readonly refusals: number[] = [];

  constructor(
    readonly index: number,
    readonly host: ClientHost,
    private readonly deps: WorkloadDeps,
  ) {}

  start(): void {
    this.think();
  }

  /** Nothing outstanding and nothing more to invoke. */
  isFinished(nowMs: number): boolean {
    return this.outstanding === null && this.retry === null && (this.invoked >= this.deps.opsMax || nowMs >= this.deps.invokeEndMs);
  }

  /** The node crashed: the operation in flight is cut off, its outcome unknown. */
  onHostCrash(): void {
    const outstanding = this.outstanding;
    if (outstanding === null) return;
    this.outstanding = null;
    if (outstanding.op !== null) this.unknownOutcome(outstanding.op, outstanding.keyed, 'node crashed');
    this.lease = null;
  }

  /** The node is back: the workload resumes. */
  onHostRestart(): void {
    this.think();
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
    const { scheduler } = this.deps;
    const service = this.host.service;
    if (service === null || this.outstanding !== null) return; // A down node has no API; its restart resumes us.
    if (this.retry !== null) return this.retryKeyed(service, this.retry);
    if (this.invoked >= this.deps.opsMax || scheduler.nowMs >= this.deps.invokeEndMs) return;
    this.invoked += 1;
    const key = this.deps.prng.pick(this.deps.keys);
    const roll = this.deps.prng.float();
    if (roll < 0.04 || (roll < 0.08 && this.lease === null)) return this.run(null, () => this.grantOrKeepLease(service));
    if (roll < 0.12) return this.run(null, () => this.staleRead(service, key));
    if (roll < 0.13) return this.run(null, () => this.compact(service));
    if (roll < 0.17) return this.run(null, () => this.pastRead(service, key));
    const input = this.pickInput(key, roll);
    const op = this.deps.history.invoke({
      client: this.index,
      node: this.host.id,
      incarnation: this.host.incarnation,
      key,
      input,
      invokeMs: scheduler.nowMs,
    });
    this.trace(() => `invoke #${op.id} ${describe(key, input)}`);
    const keyed =
      input.type !== 'get' && this.deps.prng.chance(0.5) ? { op, idempotencyKey: `c${this.index}.${this.invoked}`, attempts: 1 } : null;
    // Some keyed writes are sent twice on purpose, as an SDK does when an answer is lost: the second
    // (a new request id of the same submitter, so only the key can tell) must get the first's answer.
    const repeat = keyed !== null && this.deps.prng.chance(0.3);
    this.run(
      op,
      async () => {
        const output = await perform(service, key, input, keyed?.idempotencyKey);
        if (repeat) await this.repeatKeyed(service, output, keyed!);
        return output;
      },
      keyed,
    );
  }

  /** The op's answer is known; a repeat that gets none (refused, timed out) says nothing about it. */
  private async repeatKeyed(service: KvService, first: KvOutput, keyed: KeyedWrite): Promise<void> {
    let again: KvOutput;
    try {
      again = await perform(service, keyed.op.key, keyed.op.input, keyed.idempotencyKey);
    } catch (err) {
      if (err instanceof ServiceError) return this.trace(() => `repeat of #${keyed.op.id} failed: ${err.code}`);
      throw err;
    }
    expectSameAnswer(first, again, keyed.idempotencyKey);
  }

  private retryKeyed(service: KvService, keyed: KeyedWrite): void {
    this.retry = null;
    keyed.attempts += 1;
    this.trace(() => `retry #${keyed.op.id} under ${keyed.idempotencyKey}`);
    this.run(keyed.op, () => perform(service, keyed.op.key, keyed.op.input, keyed.idempotencyKey), keyed);
  }

  /** The op may or may not have taken effect: a keyed write is retried, anything else abandoned. */
  private unknownOutcome(op: HistoryOp, keyed: KeyedWrite | null, why: string): void {
    if (keyed !== null && keyed.attempts < KEYED_ATTEMPTS_MAX) {
      this.retry = keyed;
      return this.trace(() => `#${op.id} unknown (${why}): will retry`);
    }
    this.deps.history.abandon(op, this.deps.scheduler.nowMs);
    this.trace(() => `abandon #${op.id}: ${why}`);
  }

  private pickInput(key: string, roll: number): KvInput {
    const value = `${this.index}.${this.invoked}`;
    if (roll < 0.4) return { type: 'put', value: this.maybeLarge(value) };
    if (roll < 0.48) {
      const revision = this.seen.get(key);
      const require = revision === undefined || this.deps.prng.chance(0.3) ? { absent: true as const } : { modRevision: revision };
      return { type: 'put', value: this.maybeLarge(value), require };
    }
    if (roll < 0.52 && this.lease !== null) return { type: 'put', value: this.maybeLarge(value), lease: this.lease };
    if (roll < 0.6) return { type: 'delete' };
    if (roll < 0.9) return { type: 'get' };
    return { type: 'txn', ifValue: this.deps.prng.chance(0.3) ? null : `${this.index}.${this.invoked - 1}`, value: this.maybeLarge(value) };
  }

  /** Some puts and txns carry a value larger than one datagram, which the submitter splits into pieces: the
   *  value's name padded to LARGE_VALUE_BYTES_MIN..MAX bytes, still unique, still a string to compare. */
  private maybeLarge(value: string): string {
    if (!this.deps.prng.chance(LARGE_VALUE_CHANCE)) return value;
    const bytes = this.deps.prng.int(LARGE_VALUE_BYTES_MIN, LARGE_VALUE_BYTES_MAX);
    return `${value}:${'x'.repeat(bytes - value.length - 1)}`;
  }

  /** Runs one call; `op` is its history entry, null for calls checked elsewhere (stale reads, leases). */
  private run(op: HistoryOp | null, call: () => Promise<KvOutput | null>, keyed: KeyedWrite | null = null): void {
    const outstanding = { op, incarnation: this.host.incarnation, keyed };
    this.outstanding = outstanding;
    call().then(
      (output) => {
        if (this.outstanding !== outstanding) return; // Its node crashed meanwhile.
        this.outstanding = null;
        if (op !== null && output !== null) {
          this.deps.history.complete(op, this.deps.scheduler.nowMs, output);
          this.noteSeen(op.key, output);
          this.trace(() => `complete #${op.id}`);
        }
        this.think();
      },
      (err: unknown) => {
        if (this.outstanding !== outstanding) return;
        this.outstanding = null;
        if (!(err instanceof ServiceError)) return this.deps.fail(err as Error);
        if (op !== null && REFUSED_UNSENT.has(err.code)) this.refusals.push(this.deps.scheduler.nowMs);
        // A retry refused unsent says nothing of the attempts before it.
        if (op !== null && REFUSED_UNSENT.has(err.code) && (keyed === null || keyed.attempts === 1)) this.deps.history.withdraw(op);
        else if (op !== null) this.unknownOutcome(op, keyed, err.code);
        this.trace(() => `${op === null ? 'call' : `#${op.id}`} failed: ${err.code}`);
        this.think();
      },
    );
  }

  private async grantOrKeepLease(service: KvService): Promise<null> {
    const op: KvOp =
      this.lease === null
        ? { type: 'lease_grant', ttlMs: this.deps.prng.int(this.deps.timing.leaseTtlMsMin, this.deps.timing.leaseTtlMsMax) }
        : { type: 'lease_keepalive', lease: this.lease };
    const result = await service.submit(op);
    if (result.type === 'lease') this.lease = result.lease;
    else if (result.type === 'lease_not_found') this.lease = null;
    else throw new Error(`${op.type} answered with a ${result.type} result`);
    return null;
  }

  private async staleRead(service: KvService, key: string): Promise<null> {
    const invokeOrder = this.deps.history.mark();
    const incarnation = this.host.incarnation;
    const { revision, record } = await readLocal(service, 'stale', (local) => local.readKey(key));
    this.deps.staleReads.record({
      node: this.host.id,
      incarnation,
      key,
      invokeOrder,
      completeOrder: this.deps.history.mark(),
      revision,
      ...observed(record),
    });
    return null;
  }

  /** An admin compaction (POST /v1/compact) to a revision this client saw, less a margin for the watches. */
  private async compact(service: KvService): Promise<null> {
    const revision = this.highestSeen() - COMPACT_MARGIN_REVISIONS;
    if (revision < 1) return null;
    const result = await service.submit({ type: 'compact', revision });
    // The client saw the revision applied, and the compaction is ordered after that.
    if (result.type !== 'compact') throw new Error(`compact to ${revision} answered with a ${result.type} result`);
    return null;
  }

  /** GET ?revision=N: a linearizable read of the key as it was at a revision this client saw, or a little before. */
  private async pastRead(service: KvService, key: string): Promise<null> {
    const revision = this.highestSeen() - this.deps.prng.int(0, PAST_READ_REACH_REVISIONS);
    if (revision < 1) return null;
    const read = await readLocal(service, 'linearizable', (local) => local.readKeyAt(key, revision));
    if ('problem' in read && read.problem === 'future')
      throw new Error(`linearizable read at revision ${revision}, which this client saw, found the node at ${read.revision}`);
    const answer = 'problem' in read ? { compactRevision: read.compactRevision } : observed(read.record);
    this.deps.staleReads.recordPast({ node: this.host.id, key, revision, answer });
    return null;
  }

  private highestSeen(): number {
    return Math.max(0, ...this.seen.values());
  }

  private noteSeen(key: string, output: KvOutput): void {
    const revision = 'modRevision' in output ? output.modRevision : null;
    if (revision !== null && revision !== undefined) this.seen.set(key, revision);
  }

  private trace(text: () => string): void {
    this.deps.tracer.event(this.deps.scheduler.nowMs, `c${this.index}`, text);
  }
}

function describe(key: string, input: KvInput): string {
  return `${input.type}(${key}${'value' in input ? `, ${shortValue(input.value)}` : ''})`;
}

function observed(record: KeyRecord | null): Observed {
  return record === null ? { value: null, modRevision: null } : { value: decoder.decode(record.value), modRevision: record.modRevision };
}

/** One client operation through the service, as the route that serves it does it. */
async function perform(service: KvService, key: string, input: KvInput, idempotencyKey?: string): Promise<KvOutput> {
  switch (input.type) {
    case 'put': {
      const op: KvOp = {
        type: 'put',
        key,
        value: encoder.encode(input.value),
        ...(input.require ? { require: input.require } : {}),
        ...(input.lease === undefined ? {} : { lease: input.lease }),
      };
      const result = await service.submit(op, idempotencyKey);
      if (result.type === 'put') return { type: 'put', modRevision: result.modRevision };
      if (result.type === 'precondition_failed') return { type: 'precondition_failed', modRevision: result.modRevision };
      if (result.type === 'lease_not_found' && input.lease !== undefined) return { type: 'lease_not_found' };
      throw mismatch(input, result);
    }
    case 'get': {
      const { record } = await readLocal(service, 'linearizable', (local) => local.readKey(key));
      return { type: 'get', ...observed(record) };
    }
    case 'delete': {
      const result = await service.submit({ type: 'delete', key }, idempotencyKey);
      if (result.type !== 'delete') throw mismatch(input, result);
      return { type: 'delete', deleted: result.deleted, revision: result.revision };
    }
    case 'txn': {
      const compare =
        input.ifValue === null
          ? { key, target: 'exists' as const, op: '==' as const, value: false }
          : { key, target: 'value' as const, op: '==' as const, value: encoder.encode(input.ifValue) };
      const result = await service.submit(
        {
          type: 'txn',
          txn: { compare: [compare], success: [{ type: 'put', key, value: encoder.encode(input.value) }], failure: [{ type: 'get', key }] },
        },
        idempotencyKey,
      );
      const [first] = result.type === 'txn' ? result.results : [];
      if (result.type === 'txn' && result.succeeded && first?.type === 'put')
        return { type: 'txn', succeeded: true, modRevision: first.modRevision };
      if (result.type === 'txn' && !result.succeeded && first?.type === 'get')
        return { type: 'txn', succeeded: false, ...observed(first.record) };
      throw mismatch(input, result);
    }
    case 'revoke':
      throw new Error("revokes are the cluster's, not a client's");
  }
}

/** A repeat under an Idempotency-Key that answers otherwise was applied a second time. */
function expectSameAnswer(first: KvOutput, repeat: KvOutput, idempotencyKey: string): void {
  const [a, b] = [JSON.stringify(first), JSON.stringify(repeat)];
  if (a !== b) throw new Error(`a repeat under Idempotency-Key ${idempotencyKey} answered ${b}, the first ${a}`);
}

/** A result of the wrong kind means the replicas mixed requests up. */
function mismatch(input: KvInput, result: OpResult): Error {
  const detail = result.type === 'invalid' ? `an invalid result (${result.reason})` : `a ${result.type} result`;
  return new Error(`${input.type} answered with ${detail}`);
}
