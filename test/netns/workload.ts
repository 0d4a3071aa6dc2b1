// The workload (docs/background.md §4.3): a few concurrent logical clients, each with one operation
// outstanding, reading, writing, CAS-ing and running txns on a handful of keys through the SDK, each
// starting on a different replica and failing over as the SDK does. One attempt per call, so the
// history says exactly what each answer proved (operations.ts). A client whose operation ended
// unknown is retired and replaced by a new one (a new id, on the next replica), as Jepsen does.
// Bounded in count (opsMax) and in time (stop()).
import { Client } from '../../src/client/index.js';
import type { KvInput } from '../sim/history.js';
import type { Prng } from '../sim/prng.js';
import { recordOp, type OpContext } from './operations.js';

export interface WorkloadOptions {
  replicaUrls: readonly string[];
  keys: readonly string[];
  clients: number;
  /** Operations invoked at most, all clients together. */
  opsMax: number;
  /** A client waits up to this long between its operations (0: closed loop, for throughput). */
  thinkMsMax: number;
  /** Share of writes (put, CAS, delete, txn) among the operations; the rest are linearizable reads. */
  writeShare: number;
  prng: Prng;
}

/** Deadline of one call: above the server's 5 s commit timeout, so its 504 normally comes first. */
const CALL_TIMEOUT_MS = 6_000;
/** When stop() is called, in-flight operations get this long to finish before they are cut off (unknown). */
const DRAIN_MS_MAX = 3_000;

export class Workload {
  private invoked = 0;
  private nextClientId = 1;
  private stopping = false;
  private readonly cutOff = new AbortController();
  private readonly loops: Promise<void>[] = [];

  constructor(
    private readonly options: WorkloadOptions,
    private readonly context: OpContext,
  ) {}

  start(): void {
    for (let slot = 0; slot < this.options.clients; slot++)
      this.loops.push(this.clientLoop(slot, this.options.prng.fork(`client-${slot}`)));
  }

  /** No new operations; waits for the ones in flight, cutting off any still running after DRAIN_MS_MAX. Idempotent. */
  async stop(): Promise<void> {
    this.stopping = true;
    const timer = setTimeout(() => this.cutOff.abort(new Error('workload stopped')), DRAIN_MS_MAX);
    await Promise.all(this.loops);
    clearTimeout(timer);
  }

  private newClient(startAt: number): { id: number; kv: Client } {
    const urls = this.options.replicaUrls;
    const endpoints = urls.map((_, i) => urls[(startAt + i) % urls.length]!);
    const kv = new Client({
      endpoints,
      retry: { attemptsMax: 1 },
      timeoutMs: CALL_TIMEOUT_MS,
      attemptTimeoutMs: CALL_TIMEOUT_MS,
      connectionsPerEndpoint: 1,
    });
    return { id: this.nextClientId++, kv };
  }

  private async clientLoop(slot: number, prng: Prng): Promise<void> {
    let startAt = slot;
    let client = this.newClient(startAt);
    const seen = new Map<string, number>();
    let written = 0;
    try {
      while (!this.stopping && this.invoked < this.options.opsMax) {
        this.invoked += 1;
        const key = prng.pick(this.options.keys);
        const value = `c${client.id}.${++written}`;
        const { outcome, op } = await recordOp(
          this.context,
          client.kv,
          client.id,
          key,
          this.pickInput(prng, key, value, seen),
          this.cutOff.signal,
        );
        const revision = op.output !== null && 'modRevision' in op.output ? op.output.modRevision : null;
        if (typeof revision === 'number') seen.set(key, revision);
        if (outcome === 'indeterminate') {
          await client.kv.close();
          client = this.newClient(++startAt);
          seen.clear();
          written = 0;
        }
        if (this.options.thinkMsMax > 0 && !this.stopping) await pause(prng.between(0, this.options.thinkMsMax));
      }
    } finally {
      await client.kv.close();
    }
  }

  private pickInput(prng: Prng, key: string, value: string, seen: ReadonlyMap<string, number>): KvInput {
    if (!prng.chance(this.options.writeShare)) return { type: 'get' };
    const roll = prng.float();
    if (roll < 0.5) return { type: 'put', value };
    if (roll < 0.7) {
      const revision = seen.get(key);
      return { type: 'put', value, require: revision === undefined || prng.chance(0.3) ? { absent: true } : { modRevision: revision } };
    }
    if (roll < 0.8) return { type: 'delete' };
    return { type: 'txn', ifValue: prng.chance(0.3) ? null : value.replace(/\d+$/, (n) => String(Number(n) - 1)), value };
  }
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
