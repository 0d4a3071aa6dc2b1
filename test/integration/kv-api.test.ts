// Proves the M3 routes on a real cluster (sequencer and three replica processes, real UDP and HTTP):
// CAS with a concurrent CAS-counter, prefix listing and deletion, txn, linearizable vs stale reads,
// leases expiring through the log, status, and a watch that resumes on another replica after the one it used is killed, with no gap
// and no duplicate. Counts and attempts are bounded; nothing asserts on timing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { startTestCluster, type TestCluster } from './harness/cluster.js';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

async function call(
  method: 'GET' | 'PUT' | 'DELETE' | 'POST',
  url: string,
  body?: string,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const res = await request(url, { method, body, headers, headersTimeout: 15_000, bodyTimeout: 15_000 });
  return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
}

const json = (answer: Answer) => JSON.parse(answer.text);

/** Bound on waiting for a 1 s lease to expire: generous next to the leader's tick and a commit. */
const LEASE_WAIT_MS_MAX = 20_000;
const CAS_CLIENTS = 6;
const CAS_INCREMENTS_PER_CLIENT = 5;
/** Every CAS loop gives up after this many attempts, so the test is bounded even under heavy contention. */
const CAS_ATTEMPTS_MAX = 200;

describe('KV API on a real cluster', () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await startTestCluster({ durability: 'async' });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('counts exactly the successful CAS increments of concurrent clients on different replicas', async () => {
    const key = `${cluster.urls[0]}/v1/kv/counter`;
    expect((await call('PUT', key, '0', { 'if-none-match': '*' })).status).toBe(200);
    expect((await call('PUT', key, '0', { 'if-none-match': '*' })).status).toBe(412);
    const client = async (i: number): Promise<{ successes: number; conflicts: number }> => {
      const url = `${cluster.urls[i % cluster.urls.length]}/v1/kv/counter`;
      let successes = 0;
      let conflicts = 0;
      for (let attempt = 0; attempt < CAS_ATTEMPTS_MAX && successes < CAS_INCREMENTS_PER_CLIENT; attempt++) {
        const read = await call('GET', url);
        expect(read.status).toBe(200);
        const write = await call('PUT', url, String(Number(read.text) + 1), { 'if-match': String(read.headers.etag) });
        if (write.status === 200) successes += 1;
        else {
          expect(write.status).toBe(412);
          expect(json(write).error.code).toBe('precondition_failed');
          conflicts += 1;
        }
      }
      return { successes, conflicts };
    };
    const results = await Promise.all(Array.from({ length: CAS_CLIENTS }, (_, i) => client(i)));
    const successes = results.reduce((sum, r) => sum + r.successes, 0);
    const final = await call('GET', cluster.urls[2]! + '/v1/kv/counter');
    expect(Number(final.text)).toBe(successes);
    expect(successes).toBeGreaterThan(0);
  });

  it('lists a prefix page by page on any replica and deletes it through the log', async () => {
    const [a, b, c] = cluster.urls as [string, string, string];
    for (let i = 0; i < 5; i++) expect((await call('PUT', `${a}/v1/kv/list/${i}`, `v${i}`)).status).toBe(200);
    const first = json(await call('GET', `${b}/v1/kv?prefix=list/&limit=3`));
    expect(first.items.map((item: { key: string }) => item.key)).toEqual(['list/0', 'list/1', 'list/2']);
    expect(Buffer.from(first.items[0].value, 'base64').toString()).toBe('v0');
    const second = json(await call('GET', `${c}/v1/kv?prefix=list/&limit=3&after=${encodeURIComponent(first.next)}&keysOnly=true`));
    expect(second).toMatchObject({ items: [{ key: 'list/3' }, { key: 'list/4' }], next: null });
    expect(second.items[0].value).toBeUndefined();
    const deleted = json(await call('DELETE', `${c}/v1/kv?prefix=list/`));
    expect(deleted).toMatchObject({ deleted: 5, more: false });
    expect(json(await call('GET', `${a}/v1/kv?prefix=list/`)).items).toEqual([]);
    const bad = await call('GET', `${a}/v1/kv?prefix=list/&colour=red`);
    expect(bad.status).toBe(400);
    expect(json(bad).error.message).toContain("unknown parameter 'colour'");
  });

  it('applies a txn atomically at one revision, seen the same on every replica', async () => {
    const [a, b] = cluster.urls as [string, string];
    const b64 = (text: string) => Buffer.from(text).toString('base64');
    const body = JSON.stringify({
      compare: [{ key: 'txn/lock', target: 'exists', op: '==', value: false }],
      success: [{ put: { key: 'txn/lock', value: b64('me') } }, { put: { key: 'txn/data', value: b64('d') } }],
      failure: [{ get: { key: 'txn/lock' } }],
    });
    const first = json(await call('POST', `${a}/v1/txn`, body, { 'content-type': 'application/json' }));
    expect(first.succeeded).toBe(true);
    const second = json(await call('POST', `${b}/v1/txn`, body, { 'content-type': 'application/json' }));
    expect(second.succeeded).toBe(false);
    expect(second.results[0].get.item).toMatchObject({ key: 'txn/lock', modRevision: first.revision });
    const data = await call('GET', `${b}/v1/kv/txn/data`);
    expect(data.headers.etag).toBe(`"${first.revision}"`);
  });

  it('reads a write from another replica at once when linearizable, and labels stale reads with their revision', async () => {
    const [a, b, c] = cluster.urls as [string, string, string];
    for (let i = 0; i < 20; i++) {
      const write = await call('PUT', `${a}/v1/kv/fresh`, String(i));
      const read = await call('GET', `${i % 2 === 0 ? b : c}/v1/kv/fresh`);
      expect(read.text).toBe(String(i));
      expect(Number(read.headers['x-mrtom-revision'])).toBeGreaterThanOrEqual(json(write).revision);
    }
    const stale = await call('GET', `${b}/v1/kv/fresh?consistency=stale`);
    expect([200, 404]).toContain(stale.status);
    expect(Number(stale.headers['x-mrtom-revision'])).toBeGreaterThan(0);
  });

  it('expires a TTL key through the log on every replica, and revokes a lease with its keys', async () => {
    const [a, b, c] = cluster.urls as [string, string, string];
    expect((await call('PUT', `${a}/v1/kv/ephemeral?ttl=1s`, 'x')).status).toBe(200);
    const lease = json(await call('POST', `${b}/v1/leases?ttl=60s`)).lease;
    expect((await call('PUT', `${b}/v1/kv/held?lease=${lease}`, 'y')).status).toBe(200);
    // Waits on the condition with a bounded deadline; how soon it happens is not asserted.
    const deadline = Date.now() + LEASE_WAIT_MS_MAX;
    while ((await call('GET', `${c}/v1/kv/ephemeral`)).status === 200 && Date.now() < deadline) await sleep(100);
    expect((await call('GET', `${c}/v1/kv/ephemeral`)).status).toBe(404);
    expect((await call('GET', `${a}/v1/kv/ephemeral`)).status).toBe(404);
    expect((await call('GET', `${a}/v1/kv/held`)).status).toBe(200);
    expect(json(await call('DELETE', `${c}/v1/leases/${lease}`))).toEqual({ deleted: 1, more: false });
    expect((await call('GET', `${a}/v1/kv/held`)).status).toBe(404);
  });

  it('reports status with peers', async () => {
    const status = json(await call('GET', `${cluster.urls[0]}/v1/status`));
    expect(status).toMatchObject({ id: 1, status: 'normal' });
    expect(status.peers.map((peer: { id: number; ready: boolean }) => [peer.id, peer.ready])).toEqual([
      [2, true],
      [3, true],
    ]);
  });

  it('resumes a watch on another replica after killing the one it used: no gap, no duplicate', async () => {
    const [, b, c] = cluster.urls as [string, string, string];
    const WRITES = 40;
    const KILL_AFTER = 10;
    const start = json(await call('PUT', `${b}/v1/kv/watched/seed`, 'seed')).revision + 1;
    const seen: number[] = [];
    const writer = (async () => {
      for (let i = 0; i < WRITES; i++) expect((await call('PUT', `${b}/v1/kv/watched/${i % 7}`, String(i))).status).toBe(200);
    })();
    // Watch on replica 1 until KILL_AFTER revisions arrived, then kill it mid-stream.
    const first = await request(`${cluster.urls[0]}/v1/watch?prefix=watched/&fromRevision=${start}`);
    expect(first.statusCode).toBe(200);
    await collect(first.body, seen, KILL_AFTER);
    await cluster.kill('replica-1');
    // Resume elsewhere from the last revision seen + 1.
    await writer;
    const resumed = await request(`${c}/v1/watch?prefix=watched/&fromRevision=${seen[seen.length - 1]! + 1}`);
    expect(resumed.statusCode).toBe(200);
    await collect(resumed.body, seen, WRITES);
    resumed.body.destroy();
    expect(seen).toEqual(Array.from({ length: WRITES }, (_, i) => start + i));
    cluster.start('replica-1');
    await cluster.waitReady();
  });
});

/** Appends revisions of NDJSON frames to `seen` until it holds `count`, or the stream ends. */
async function collect(body: AsyncIterable<Buffer>, seen: number[], count: number): Promise<void> {
  let buffered = '';
  for await (const chunk of body) {
    buffered += chunk.toString('utf8');
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines) {
      const frame = JSON.parse(line) as { revision: number; events: unknown[] };
      if (frame.events.length > 0) seen.push(frame.revision);
    }
    if (seen.length >= count) return;
  }
}
