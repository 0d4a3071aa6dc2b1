// A single-node KvService for API route tests: every op, read barriers included, is applied to a real
// replica store (LevelDB in a temp folder) as the next log entry, exactly as a replica applies committed
// entries, so routes are checked against the real state machine. Ordering is what it leaves out: a lone
// node applies each op as it is submitted. Its lease countdown is the runtime's LeaseExpiry, on a clock
// and leadership the test sets (a test ticks it; nothing expires on its own). It has no node health or status of its own (those belong to
// the replica runtime and are tested against real processes); a test that renders them sets them.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterEach } from 'vitest';
import type { KvService, NodeHealth, NodeStatus } from '../../../src/api/service.js';
import { buildApiServer, type ApiServerOptions } from '../../../src/api/server.js';
import { appliedTokensOf } from '../../../src/runtime/auth-tokens.js';
import { openReplicaStore, type ReplicaStore } from '../../../src/store/replica-store.js';
import { encodeOpRequest, type KvOp, type OpResult } from '../../../src/store/ops.js';
import { LeaseExpiry } from '../../../src/runtime/lease-expiry.js';

const CLIENT_ID = 1;

function unset(what: string): never {
  throw new Error(`StoreKvService has no ${what} of its own; a test that renders one sets service.${what}`);
}

export class StoreKvService implements KvService {
  readonly submitted: KvOp[] = [];
  private slot = 0;
  private readonly listeners = new Set<() => void>();
  /** Whether this lone node leads, and its clock: the inputs of its lease countdown. */
  leading = false;
  nowMs = 0;
  readonly leaseExpiry = new LeaseExpiry({
    isLeader: () => this.leading,
    nowMs: () => this.nowMs,
    readLeases: () => this.store.reads.readLeases(),
    revoke: (lease) => this.submit({ type: 'lease_revoke', lease }),
    onError: (err) => {
      throw err;
    },
  });

  constructor(readonly store: ReplicaStore) {}

  get local() {
    return this.store.reads;
  }

  async submit(op: KvOp): Promise<OpResult> {
    this.submitted.push(op);
    this.slot += 1;
    const body = encodeOpRequest({ floor: this.slot - 1, ops: [{ requestId: this.slot, op }] });
    const [applied] = await this.store.state.applyBatch([
      { slot: this.slot, session: 1, seq: this.slot, view: 0, clientId: CLIENT_ID, requestId: this.slot, body, noop: false },
    ]);
    this.leaseExpiry.onApplied([applied!]);
    for (const listener of this.listeners) listener();
    return applied!.result;
  }

  async leaseRemainingMs(lease: number): Promise<number | null> {
    return this.leaseExpiry.remainingMs(lease);
  }

  /** A barrier op through the store like any other; once it is applied, so is everything submitted before it. */
  async barrier(): Promise<void> {
    const result = await this.submit({ type: 'barrier' });
    if (result.type !== 'barrier') throw new Error(`a barrier op was applied as ${result.type}`);
  }

  onApplied(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  health: () => NodeHealth = () => unset('health');

  status: () => Promise<NodeStatus> = async () => unset('status');
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

/** A server over a fresh store-backed service, with its log lines collected as parsed JSON; closed after the test. */
export async function buildTestServer(
  options: Partial<Omit<ApiServerOptions, 'service' | 'logger' | 'metrics' | 'auth'>> & {
    eventRetainRevisions?: number;
    /** Auth on, over the store's own applied token table. */
    auth?: { openOperations: boolean };
  } = {},
) {
  const { eventRetainRevisions, auth, ...serverOptions } = options;
  const dir = await mkdtemp(join(tmpdir(), 'mrtom-api-'));
  const store = await openReplicaStore(dir, {
    durability: 'async',
    ...(eventRetainRevisions === undefined ? {} : { eventRetainRevisions }),
  });
  const service = new StoreKvService(store);
  const logs: { level: number; msg: string; err?: { message: string } }[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(JSON.parse(chunk.toString('utf8')));
      done();
    },
  });
  const app = buildApiServer({
    service,
    logger: pino({ level: 'info' }, sink),
    metrics: new Registry(),
    ...serverOptions,
    ...(auth === undefined ? {} : { auth: { ...auth, tokens: appliedTokensOf(store.state) } }),
  });
  cleanups.push(async () => {
    await app.close();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });
  return { app, service, logs };
}
