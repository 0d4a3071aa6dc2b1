// Proves the SDK's failover with real processes: kill -9 the replica the client is using in the middle of
// a stream of writes, and the writes go on through another replica with none lost or doubled. The writes
// are ones whose double application would show and do no harm — CAS increments of counters and
// create-only writes of unique keys — and they are counted afterwards from the replicated history.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCluster, type TestCluster } from './harness/cluster.js';
import { waitFor } from './client-harness/wait.js';
import { Client, MrtomError, PreconditionFailedError, TimeoutError, UnavailableError } from '../../src/client/index.js';

const PROGRESS_DEADLINE_MS = 30_000;
const WRITES_BEFORE_KILL = 30;
const WRITES_AFTER_KILL = 30;
const OPS_PER_WRITER_MAX = 2_000;
const TRIES_PER_OP_MAX = 50;

interface CounterValue {
  count: number;
  op: string;
}

interface Outcomes {
  /** Operations the SDK acknowledged. */
  acked: string[];
  /** Operations whose answer was lost, found applied by reading afterwards. */
  foundApplied: string[];
  /** Errors the SDK surfaced with mayHaveHappened set. */
  ambiguous: number;
}

const isRetryable = (err: unknown): boolean =>
  err instanceof PreconditionFailedError || err instanceof UnavailableError || err instanceof TimeoutError;

/** Kills the replica behind `url` with SIGKILL and returns its process name. */
async function killReplicaAt(cluster: TestCluster, url: string): Promise<string> {
  const index = cluster.urls.indexOf(url);
  expect(index).toBeGreaterThanOrEqual(0);
  const name = `replica-${cluster.config.replicas[index]!.id}`;
  await cluster.kill(name, 'SIGKILL');
  return name;
}

/** Increments the writer's own counter by CAS, one logical operation (`w:j`) at a time. */
async function casWriter(client: Client, writer: number, stopped: () => boolean, out: Outcomes): Promise<void> {
  const key = `cas/counter-${writer}`;
  for (let j = 0; j < OPS_PER_WRITER_MAX && !stopped(); j++) {
    const op = `${writer}:${j}`;
    for (let tries = 0; ; tries++) {
      if (tries === TRIES_PER_OP_MAX) throw new Error(`op ${op}: no outcome after ${TRIES_PER_OP_MAX} tries`);
      try {
        const current = await client.get(key);
        const base = current?.json<CounterValue>() ?? { count: 0, op: '' };
        // Only this writer writes this key: its value names our op exactly when an earlier try applied it.
        if (base.op === op) {
          out.foundApplied.push(op);
          break;
        }
        const value = JSON.stringify({ count: base.count + 1, op });
        await client.put(key, value, current === undefined ? { ifAbsent: true } : { ifRevision: current.modRevision });
        out.acked.push(op);
        break;
      } catch (err) {
        if (err instanceof MrtomError && err.mayHaveHappened) out.ambiguous += 1;
        if (!isRetryable(err)) throw err;
      }
    }
  }
}

/** Creates unique keys, create-only: a 412 on a retry means an earlier attempt created it. */
async function uniqueWriter(client: Client, writer: number, stopped: () => boolean, out: Outcomes): Promise<void> {
  for (let i = 0; i < OPS_PER_WRITER_MAX && !stopped(); i++) {
    const key = `uniq/${writer}/${i}`;
    for (let tries = 0; ; tries++) {
      if (tries === TRIES_PER_OP_MAX) throw new Error(`${key}: no outcome after ${TRIES_PER_OP_MAX} tries`);
      try {
        await client.put(key, key, { ifAbsent: true });
        out.acked.push(key);
        break;
      } catch (err) {
        if (err instanceof MrtomError && err.mayHaveHappened) out.ambiguous += 1;
        if (err instanceof PreconditionFailedError) {
          // The key is unique: it exists only if one of our attempts created it.
          if (tries === 0 && !err.mayHaveHappened) throw err;
          out.foundApplied.push(key);
          break;
        }
        if (!isRetryable(err)) throw err;
      }
    }
  }
}

/** Writes unique keys unconditionally: only the SDK's Idempotency-Key keeps a retry from applying twice. */
async function keyedWriter(client: Client, writer: number, stopped: () => boolean, out: Outcomes): Promise<void> {
  for (let i = 0; i < OPS_PER_WRITER_MAX && !stopped(); i++) {
    const key = `keyed/${writer}/${i}`;
    await client.put(key, key);
    out.acked.push(key);
  }
}

/** Runs `writers` copies of `writer`, kills the client's replica after some writes, and stops after more. */
async function writeThroughKill(
  cluster: TestCluster,
  client: Client,
  writers: number,
  writer: (client: Client, w: number, stopped: () => boolean, out: Outcomes) => Promise<void>,
): Promise<Outcomes & { victim: string }> {
  const out: Outcomes = { acked: [], foundApplied: [], ambiguous: 0 };
  let stop = false;
  const running = Array.from({ length: writers }, (_, w) => writer(client, w, () => stop, out));
  const failed = Promise.all(running).then(() => {
    if (!stop) throw new Error('writers ended before they were stopped');
  });
  // Surfaced through progress() while it waits, and by awaiting `running` below after that.
  failed.catch(() => undefined);
  const progress = async (what: string, count: number): Promise<void> => {
    await Promise.race([waitFor(what, () => out.acked.length >= count, PROGRESS_DEADLINE_MS), failed]);
  };
  try {
    await progress('writes before the kill', WRITES_BEFORE_KILL);
    const victim = client.endpoint;
    const name = await killReplicaAt(cluster, victim);
    await progress(`writes after killing ${name}`, out.acked.length + WRITES_AFTER_KILL);
    expect(client.endpoint).not.toBe(victim);
    stop = true;
    await Promise.all(running);
    cluster.start(name);
    await cluster.waitReady();
    return { ...out, victim };
  } finally {
    stop = true;
    await Promise.allSettled(running);
  }
}

describe('SDK failover under kill -9', () => {
  let cluster: TestCluster;
  let client: Client;
  beforeAll(async () => {
    cluster = await startTestCluster();
    client = new Client({ endpoints: cluster.urls, timeoutMs: 30_000 });
  });
  afterAll(async () => {
    await client?.close();
    await cluster?.stop();
  });

  it('CAS counters: every increment applied exactly once, none lost', { timeout: 120_000 }, async () => {
    const writers = 4;
    const out = await writeThroughKill(cluster, client, writers, casWriter);
    const storeRevision = (await client.status()).revision;

    // Every put of every counter, from the replicated history (revision 1 on).
    const history = new Map<string, CounterValue[]>();
    const watch = client.watch({ prefix: 'cas/', fromRevision: 1 });
    for await (const frame of watch) {
      for (const event of frame.events) {
        if (event.type === 'put') history.set(event.key, [...(history.get(event.key) ?? []), event.kv.json<CounterValue>()]);
      }
      if (watch.cursor! > storeRevision) break;
    }
    const applied = [...history.values()].flat().map((v) => v.op);
    // No operation applied twice, none applied that the writers did not account for, none lost.
    expect(new Set(applied).size).toBe(applied.length);
    expect([...applied].sort()).toEqual([...out.acked, ...out.foundApplied].sort());
    for (let w = 0; w < writers; w++) {
      const counts = (history.get(`cas/counter-${w}`) ?? []).map((v) => v.count);
      expect(counts).toEqual(counts.map((_, i) => i + 1));
      expect((await client.get(`cas/counter-${w}`))?.json<CounterValue>().count).toBe(counts.length);
    }
    console.log(
      `CAS counters: ${out.acked.length} acknowledged, ${out.foundApplied.length} found applied after a lost answer, ` +
        `${out.ambiguous} errors with mayHaveHappened; killed ${out.victim}`,
    );
  });

  it('unique create-only keys: every key written once, none lost', { timeout: 120_000 }, async () => {
    const out = await writeThroughKill(cluster, client, 8, uniqueWriter);
    const items = [];
    for await (const page of client.list({ prefix: 'uniq/', pageSize: 1000 })) items.push(...page.items);
    expect(items.filter((item) => item.version !== 1).map((item) => item.key)).toEqual([]);
    expect(items.map((item) => item.key).sort()).toEqual([...out.acked, ...out.foundApplied].sort());
    console.log(
      `unique keys: ${out.acked.length} acknowledged, ${out.foundApplied.length} found applied after a lost answer, ` +
        `${out.ambiguous} errors with mayHaveHappened; killed ${out.victim}`,
    );
  });

  it("unconditional writes under the SDK's Idempotency-Keys: each applied exactly once, none lost", { timeout: 120_000 }, async () => {
    const out = await writeThroughKill(cluster, client, 8, keyedWriter);
    const items = [];
    for await (const page of client.list({ prefix: 'keyed/', pageSize: 1000 })) items.push(...page.items);
    // A retry applied a second time would have made version 2.
    expect(items.filter((item) => item.version !== 1).map((item) => item.key)).toEqual([]);
    expect(items.map((item) => item.key).sort()).toEqual([...out.acked].sort());
    console.log(`keyed writes: ${out.acked.length} acknowledged, every one at version 1; killed ${out.victim}`);
  });
});
