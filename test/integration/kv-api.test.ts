// Proves the KV routes on a real cluster (sequencer + 3 replica processes, UDP, HTTP, LevelDB): CAS, listing, txn, reads, leases, status, watch resume
// after a kill -9. How: the test makes every write itself, so each status, body and revision is asserted exactly; bounded counts, no timing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { startTestCluster, type TestCluster } from './harness/cluster.js';
import { waitFor } from './harness/wait.js';

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
const b64 = (text: string): string => Buffer.from(text).toString('base64');
const revisionOf = (answer: Answer): number => Number(answer.headers['x-mrtom-revision']);

/** The exact 404 of a key that is absent at `revision`. */
function expectAbsent(answer: Answer, revision: number): void {
  expect(answer.status).toBe(404);
  expect(revisionOf(answer)).toBe(revision);
  expect(json(answer)).toEqual({ error: { code: 'key_not_found', message: `no value is stored under this key at revision ${revision}` } });
}

/** The exact 200 of a key holding `value`, last written at `modRevision`, read at store revision `revision`. */
function expectValue(answer: Answer, value: string, modRevision: number, revision: number): void {
  expect(answer.status).toBe(200);
  expect(answer.text).toBe(value);
  expect(answer.headers.etag).toBe(`"${modRevision}"`);
  expect(revisionOf(answer)).toBe(revision);
}

/** Bound on waiting for a 1 s lease to expire: generous next to the leader's tick and a commit. */
const LEASE_WAIT_MS_MAX = 20_000;
const CAS_CLIENTS = 6;
const CAS_INCREMENTS_PER_CLIENT = 5;
const CAS_INCREMENTS = CAS_CLIENTS * CAS_INCREMENTS_PER_CLIENT;
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
    const created = await call('PUT', key, '0', { 'if-none-match': '*' });
    expect(created.status).toBe(200);
    const base = json(created).revision;
    const again = await call('PUT', key, '0', { 'if-none-match': '*' });
    expect(again.status).toBe(412);
    expect(revisionOf(again)).toBe(base);
    expect(json(again)).toEqual({
      error: { code: 'precondition_failed', message: `precondition failed: the key's modRevision is ${base}`, modRevision: base },
    });
    // Only the increments write the counter and nothing else writes meanwhile: value n was written at base + n.
    const client = async (i: number): Promise<number> => {
      const url = `${cluster.urls[i % cluster.urls.length]}/v1/kv/counter`;
      let successes = 0;
      for (let attempt = 0; attempt < CAS_ATTEMPTS_MAX && successes < CAS_INCREMENTS_PER_CLIENT; attempt++) {
        const read = await call('GET', url);
        const value = Number(read.text);
        // Nothing but the counter changes meanwhile, so the store revision is the counter's modRevision.
        expectValue(read, String(value), base + value, base + value);
        const write = await call('PUT', url, String(value + 1), { 'if-match': `"${base + value}"` });
        // The clients race for each revision: one wins it (200), the others find a newer modRevision (412).
        expect([200, 412]).toContain(write.status);
        if (write.status === 200) {
          expect(json(write)).toEqual({ revision: base + value + 1 });
          successes += 1;
        } else {
          const { error } = json(write);
          expect(error.code).toBe('precondition_failed');
          // Some other client's increment, which can be any of the later ones.
          expect(error.modRevision).toBeGreaterThan(base + value);
          expect(error.modRevision).toBeLessThanOrEqual(base + CAS_INCREMENTS);
        }
      }
      return successes;
    };
    const successes = await Promise.all(Array.from({ length: CAS_CLIENTS }, (_, i) => client(i)));
    expect(successes).toEqual(Array.from({ length: CAS_CLIENTS }, () => CAS_INCREMENTS_PER_CLIENT));
    const final = await call('GET', `${cluster.urls[2]}/v1/kv/counter`);
    expectValue(final, String(CAS_INCREMENTS), base + CAS_INCREMENTS, base + CAS_INCREMENTS);
  });

  it('lists a prefix page by page on any replica and deletes it through the log', async () => {
    const [a, b, c] = cluster.urls as [string, string, string];
    const revisions: number[] = [];
    for (let i = 0; i < 5; i++) {
      const written = await call('PUT', `${a}/v1/kv/list/${i}`, `v${i}`);
      expect(written.status).toBe(200);
      revisions.push(json(written).revision);
    }
    expect(revisions).toEqual(revisions.map((_, i) => revisions[0]! + i));
    const last = revisions[4]!;
    const item = (i: number, keysOnly = false) => ({
      key: `list/${i}`,
      ...(keysOnly ? {} : { value: b64(`v${i}`) }),
      createRevision: revisions[i],
      modRevision: revisions[i],
      version: 1,
    });
    const first = await call('GET', `${b}/v1/kv?prefix=list/&limit=3`);
    expect(first.status).toBe(200);
    expect(json(first)).toEqual({ revision: last, items: [item(0), item(1), item(2)], next: 'list/2', continue: expect.any(String) });
    const second = await call('GET', `${c}/v1/kv?prefix=list/&limit=3&after=${encodeURIComponent('list/2')}&keysOnly=true`);
    expect(json(second)).toEqual({ revision: last, items: [item(3, true), item(4, true)], next: null, continue: null });
    const deleted = await call('DELETE', `${c}/v1/kv?prefix=list/`);
    expect(deleted.status).toBe(200);
    expect(json(deleted)).toEqual({ revision: last + 1, deleted: 5, more: false });
    expect(json(await call('GET', `${a}/v1/kv?prefix=list/`))).toEqual({ revision: last + 1, items: [], next: null, continue: null });
    const bad = await call('GET', `${a}/v1/kv?prefix=list/&colour=red`);
    expect(bad.status).toBe(400);
    expect(json(bad)).toEqual({ error: { code: 'bad_request', message: "querystring: unknown parameter 'colour'" } });
  });

  it('applies a txn atomically at one revision, seen the same on every replica', async () => {
    const [a, b] = cluster.urls as [string, string];
    const before = await call('GET', `${a}/v1/kv/txn/lock`);
    const revision = revisionOf(before) + 1;
    expectAbsent(before, revision - 1);
    const body = JSON.stringify({
      compare: [{ key: 'txn/lock', target: 'exists', op: '==', value: false }],
      success: [{ put: { key: 'txn/lock', value: b64('me') } }, { put: { key: 'txn/data', value: b64('d') } }],
      failure: [{ get: { key: 'txn/lock' } }],
    });
    const first = await call('POST', `${a}/v1/txn`, body, { 'content-type': 'application/json' });
    expect(first.status).toBe(200);
    expect(json(first)).toEqual({
      revision,
      succeeded: true,
      results: [{ put: { modRevision: revision } }, { put: { modRevision: revision } }],
    });
    const second = await call('POST', `${b}/v1/txn`, body, { 'content-type': 'application/json' });
    expect(second.status).toBe(200);
    const lock = { key: 'txn/lock', value: b64('me'), createRevision: revision, modRevision: revision, version: 1 };
    expect(json(second)).toEqual({ revision, succeeded: false, results: [{ get: { item: lock } }] });
    expectValue(await call('GET', `${b}/v1/kv/txn/data`), 'd', revision, revision);
    expectValue(await call('GET', `${b}/v1/kv/txn/lock`), 'me', revision, revision);
  });

  it('reads a write from another replica at once when linearizable, and labels stale reads with their revision', async () => {
    const [a, b, c] = cluster.urls as [string, string, string];
    let revision = 0;
    for (let i = 0; i < 20; i++) {
      const write = await call('PUT', `${a}/v1/kv/fresh`, String(i));
      expect(write.status).toBe(200);
      revision = json(write).revision;
      expectValue(await call('GET', `${i % 2 === 0 ? b : c}/v1/kv/fresh`), String(i), revision, revision);
    }
    // The linearizable read made b apply the last write, and nothing was written since: a stale read of b
    // is then exactly at that revision.
    expectValue(await call('GET', `${b}/v1/kv/fresh`), '19', revision, revision);
    expectValue(await call('GET', `${b}/v1/kv/fresh?consistency=stale`), '19', revision, revision);
  });

  it('expires a TTL key through the log on every replica, and revokes a lease with its keys', async () => {
    const [a, b, c] = cluster.urls as [string, string, string];
    const granted = await call('POST', `${b}/v1/leases?ttl=60s`);
    expect(granted.status).toBe(200);
    const { lease } = json(granted);
    // A lease id is the slot of its grant, and read barriers take slots the test does not count.
    expect(json(granted)).toEqual({ lease: expect.any(Number), ttlMs: 60_000 });
    const held = await call('PUT', `${b}/v1/kv/held?lease=${lease}`, 'y');
    expect(held.status).toBe(200);
    const heldAt = json(held).revision;
    // Written after `held`, so its expiry (a revoke that deletes one key) is the next revision whenever it comes.
    const ephemeral = await call('PUT', `${a}/v1/kv/ephemeral?ttl=1s`, 'x');
    // The reply names the lease ?ttl= granted for the key.
    expect(json(ephemeral)).toEqual({ revision: heldAt + 1, lease: expect.any(Number) });
    const expiredAt = heldAt + 2;
    const expired = await waitFor(
      'the 1 s lease to expire through the log',
      async () => {
        const read = await call('GET', `${c}/v1/kv/ephemeral`);
        return read.status === 404 ? read : undefined;
      },
      LEASE_WAIT_MS_MAX,
    );
    expectAbsent(expired, expiredAt);
    expectAbsent(await call('GET', `${a}/v1/kv/ephemeral`), expiredAt);
    expectValue(await call('GET', `${a}/v1/kv/held`), 'y', heldAt, expiredAt);
    expect(json(await call('GET', `${a}/v1/kv?prefix=held`))).toEqual({
      revision: expiredAt,
      items: [{ key: 'held', value: b64('y'), createRevision: heldAt, modRevision: heldAt, version: 1, lease }],
      next: null,
      continue: null,
    });
    const revoked = await call('DELETE', `${c}/v1/leases/${lease}`);
    expect(revoked.status).toBe(200);
    expect(json(revoked)).toEqual({ revision: expect.any(Number), deleted: 1, more: false });
    expectAbsent(await call('GET', `${a}/v1/kv/held`), expiredAt + 1);
  });

  it('answers a write repeated under its Idempotency-Key, through any replica, with the first answer and applies it once', async () => {
    const [a, b, c] = cluster.urls as [string, string, string];
    const keyed = { 'idempotency-key': 'api-test-put-1' };
    const first = await call('PUT', `${a}/v1/kv/idem/x`, 'one', keyed);
    expect(first.status).toBe(200);
    const { revision } = json(first);
    // Another write meanwhile: a replay must not be applied on top of it.
    const other = await call('PUT', `${a}/v1/kv/idem/x`, 'other');
    expect(json(other).revision).toBe(revision + 1);
    for (const url of [b, c, a]) {
      const repeat = await call('PUT', `${url}/v1/kv/idem/x`, 'one', keyed);
      expect(repeat.status).toBe(200);
      expect(json(repeat)).toEqual({ revision });
      expect(repeat.headers.etag).toBe(`"${revision}"`);
    }
    expectValue(await call('GET', `${c}/v1/kv/idem/x`), 'other', revision + 1, revision + 1);
    // The same key with another request: refused, nothing applied.
    const reused = await call('PUT', `${b}/v1/kv/idem/x`, 'two', keyed);
    expect(reused.status).toBe(422);
    expect(json(reused).error.code).toBe('idempotency_key_reused');
    expectValue(await call('GET', `${b}/v1/kv/idem/x`), 'other', revision + 1, revision + 1);
    // A PUT with ?ttl= is two ops (grant, put): the repeat replays both, the same lease included.
    const ttlKeyed = { 'idempotency-key': 'api-test-ttl-1' };
    const withLease = await call('PUT', `${a}/v1/kv/idem/ttl?ttl=60s`, 'v', ttlKeyed);
    const again = await call('PUT', `${b}/v1/kv/idem/ttl?ttl=60s`, 'v', ttlKeyed);
    expect(json(again)).toEqual(json(withLease));
    const bad = await call('PUT', `${a}/v1/kv/idem/x`, 'v', { 'idempotency-key': 'has space' });
    expect(bad.status).toBe(400);
    expect(json(bad).error.message).toContain('idempotency-key');
  });

  it('reports status with peers, every replica at the same position', async () => {
    // A linearizable read on each replica first, so each has applied everything the test wrote.
    const revision = revisionOf(await call('GET', `${cluster.urls[0]}/v1/kv/held`));
    for (const url of cluster.urls) expectAbsent(await call('GET', `${url}/v1/kv/held`), revision);
    const statuses = await Promise.all(cluster.urls.map(async (url) => json(await call('GET', `${url}/v1/status`))));
    const peersOf = (id: number) =>
      cluster.config.replicas
        .filter((r) => r.id !== id)
        .map((r) => ({ id: r.id, url: `http://${r.host}:${r.httpPort}`, ready: true, detail: 'readyz 200' }));
    // View, session and slots move with read barriers and view changes the test does not count: they must
    // only agree across the replicas, and a replica never applies past its commit point.
    const { view, session, commitSlot, appliedSlot } = statuses[0];
    expect(appliedSlot).toBeLessThanOrEqual(commitSlot);
    expect(statuses).toEqual(
      cluster.config.replicas.map((r) => ({
        id: r.id,
        status: 'normal',
        view,
        session,
        sequencerId: 1,
        commitSlot: expect.any(Number),
        appliedSlot,
        revision,
        peers: peersOf(r.id),
      })),
    );
  });

  it('resumes a watch on another replica after killing the one it used: no gap, no duplicate', async () => {
    const [, b, c] = cluster.urls as [string, string, string];
    const WRITES = 40;
    const KILL_AFTER = 10;
    const seed = await call('PUT', `${b}/v1/kv/watched/seed`, 'seed');
    expect(seed.status).toBe(200);
    const start = json(seed).revision + 1;
    const seen: string[] = [];
    const writer = (async () => {
      for (let i = 0; i < WRITES; i++) {
        const write = await call('PUT', `${b}/v1/kv/watched/${i % 7}`, String(i));
        expect(write.status).toBe(200);
        expect(json(write)).toEqual({ revision: start + i });
      }
    })();
    // Watch on replica 1 until KILL_AFTER revisions arrived, then kill it mid-stream.
    const first = await request(`${cluster.urls[0]}/v1/watch?prefix=watched/&fromRevision=${start}`);
    expect(first.statusCode).toBe(200);
    await collect(first.body, seen, KILL_AFTER);
    await cluster.kill('replica-1');
    // Resume elsewhere from the last revision seen + 1.
    await writer;
    const lastSeen = Number(seen[seen.length - 1]!.split(' ')[0]);
    const resumed = await request(`${c}/v1/watch?prefix=watched/&fromRevision=${lastSeen + 1}`);
    expect(resumed.statusCode).toBe(200);
    await collect(resumed.body, seen, WRITES);
    resumed.body.destroy();
    expect(seen).toEqual(Array.from({ length: WRITES }, (_, i) => `${start + i} put watched/${i % 7}=${i}`));
    cluster.start('replica-1');
    await cluster.waitReady();
  });
});

/** Appends each event of NDJSON frames to `seen` as `revision type key=value` until it holds `count`, or the stream ends. */
async function collect(body: AsyncIterable<Buffer>, seen: string[], count: number): Promise<void> {
  let buffered = '';
  for await (const chunk of body) {
    buffered += chunk.toString('utf8');
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines) {
      const frame = JSON.parse(line) as { revision: number; events: Array<{ type: string; key: string; value?: string }> };
      for (const event of frame.events)
        seen.push(`${frame.revision} ${event.type} ${event.key}=${Buffer.from(event.value ?? '', 'base64')}`);
    }
    if (seen.length >= count) return;
  }
}
