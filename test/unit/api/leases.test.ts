// Proves the lease routes: grant with a TTL, attach keys by ?lease= or ?ttl= (whose reply names the lease),
// keepalive, revoke deleting the attached keys at a revision it answers, 404 for unknown leases and 400 for bad TTLs;
// listing leases a page at a time and reading one (its keys by name, the leader's time left) — via
// app.inject() over a real store, whose lease countdown is the runtime's LeaseExpiry.
import { describe, expect, it } from 'vitest';
import { LEASE_KEY_NAMES_MAX } from '../../../src/api/schemas.js';
import { buildTestServer } from './store-service.js';

/** Three leases (1024: 30 s with keys b and a, 2048: 1 m, 3072: 2 m) and one unleased key, at revision 3. */
async function threeLeases() {
  const server = await buildTestServer();
  const { app } = server;
  for (const ttl of ['30s', '1m', '2m']) expect((await app.inject({ method: 'POST', url: `/v1/leases?ttl=${ttl}` })).statusCode).toBe(200);
  for (const key of ['b', 'a'])
    expect((await app.inject({ method: 'PUT', url: `/v1/kv/${key}?lease=1024`, payload: 'v' })).statusCode).toBe(200);
  expect((await app.inject({ method: 'PUT', url: '/v1/kv/c', payload: 'v' })).statusCode).toBe(200);
  return server;
}

describe('leases', () => {
  it('grants, attaches keys, keeps alive and revokes with its keys', async () => {
    const { app } = await buildTestServer();
    const grant = await app.inject({ method: 'POST', url: '/v1/leases?ttl=30s' });
    expect(grant.json()).toEqual({ lease: 1024, ttlMs: 30_000 }); // slot 1, the first op of its request
    expect((await app.inject({ method: 'PUT', url: '/v1/kv/a?lease=1024', payload: 'x' })).statusCode).toBe(200);
    // ?ttl= grants a lease of the key's own, first, and the reply names it.
    expect((await app.inject({ method: 'PUT', url: '/v1/kv/b?ttl=2m', payload: 'y' })).json()).toEqual({ revision: 2, lease: 3072 });
    expect((await app.inject({ method: 'PUT', url: '/v1/kv/c?lease=3072', payload: 'z' })).json()).toEqual({ revision: 3 });
    expect((await app.inject({ method: 'POST', url: '/v1/leases/1024/keepalive' })).json()).toEqual({ lease: 1024, ttlMs: 30_000 });
    const revoke = await app.inject({ method: 'DELETE', url: '/v1/leases/1024' });
    expect(revoke.json()).toEqual({ revision: 4, deleted: 1, more: false });
    expect(revoke.headers['x-mrtom-revision']).toBe('4');
    expect((await app.inject({ method: 'GET', url: '/v1/kv/a' })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: '/v1/kv/b' })).statusCode).toBe(200);
  });

  it.each([
    ['POST', '/v1/leases/9/keepalive', 404, 'lease 9 does not exist'],
    ['DELETE', '/v1/leases/9', 404, 'lease 9 does not exist'],
    ['PUT', '/v1/kv/k?lease=9', 404, 'lease 9 does not exist'],
    ['POST', '/v1/leases?ttl=500ms', 400, 'ttl must be between 1s and 24h'],
    ['POST', '/v1/leases?ttl=soon', 400, 'ttl must be a duration'],
    ['POST', '/v1/leases', 400, "querystring: missing parameter 'ttl'"],
    ['PUT', '/v1/kv/k?lease=1&ttl=5s', 400, 'give lease or ttl, not both'],
  ] as const)('%s %s answers %i', async (method, url, status, message) => {
    const { app } = await buildTestServer();
    const res = await app.inject({ method, url, payload: method === 'PUT' ? 'v' : undefined });
    expect(res.statusCode).toBe(status);
    expect(res.json().error.message).toContain(message);
  });

  it('lists leases in id order a page at a time, each page at one revision', async () => {
    const { app } = await threeLeases();
    const first = await app.inject({ method: 'GET', url: '/v1/leases?limit=2' });
    expect(first.json()).toEqual({
      revision: 3,
      leases: [
        { lease: 1024, ttlMs: 30_000, keys: 2 },
        { lease: 2048, ttlMs: 60_000, keys: 0 },
      ],
      next: 2048,
    });
    expect(first.headers['x-mrtom-revision']).toBe('3');
    // The next page is read at whatever revision is current then.
    expect((await app.inject({ method: 'DELETE', url: '/v1/kv/a' })).statusCode).toBe(200);
    const second = await app.inject({ method: 'GET', url: '/v1/leases?limit=2&after=2048' });
    expect(second.json()).toEqual({ revision: 4, leases: [{ lease: 3072, ttlMs: 120_000, keys: 0 }], next: null });
    const all = await app.inject({ method: 'GET', url: '/v1/leases' });
    expect(all.json().leases.map((l: { lease: number; keys: number }) => [l.lease, l.keys])).toEqual([
      [1024, 1],
      [2048, 0],
      [3072, 0],
    ]);
    expect(all.json().next).toBeNull();
  });

  it.each([
    ['/v1/leases', ['barrier']],
    ['/v1/leases?consistency=linearizable', ['barrier']],
    ['/v1/leases?consistency=stale', []],
    ['/v1/leases/1024', ['barrier']],
    ['/v1/leases/1024?consistency=stale', []],
  ])('GET %s goes through the log only when linearizable', async (url, submitted) => {
    const { app, service } = await threeLeases();
    const before = service.submitted.length;
    expect((await app.inject({ method: 'GET', url })).statusCode).toBe(200);
    expect(service.submitted.slice(before).map((op) => op.type)).toEqual(submitted);
  });

  it('reads a lease: its granted TTL and key count, with ?keys=true its keys in key order', async () => {
    const { app } = await threeLeases();
    const plain = await app.inject({ method: 'GET', url: '/v1/leases/1024' });
    expect(plain.json()).toEqual({ revision: 3, lease: 1024, ttlMs: 30_000, keys: 2, remainingMs: null });
    expect(plain.headers['x-mrtom-revision']).toBe('3');
    expect((await app.inject({ method: 'GET', url: '/v1/leases/1024?keys=true' })).json()).toEqual({
      revision: 3,
      lease: 1024,
      ttlMs: 30_000,
      keys: 2,
      remainingMs: null,
      keyNames: ['a', 'b'],
      moreKeys: false,
    });
    expect((await app.inject({ method: 'GET', url: '/v1/leases/2048?keys=true' })).json()).toMatchObject({
      keys: 0,
      keyNames: [],
      moreKeys: false,
    });
    const missing = await app.inject({ method: 'GET', url: '/v1/leases/4096' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({
      error: { code: 'lease_not_found', message: 'lease 4096 does not exist (revoked, expired or never granted)' },
    });
    expect(missing.headers['x-mrtom-revision']).toBe('3');
  });

  it(`names at most ${LEASE_KEY_NAMES_MAX} keys, and says when there are more`, async () => {
    const { app, service } = await buildTestServer();
    const grant = await service.submit({ type: 'lease_grant', ttlMs: 60_000 });
    const lease = grant.type === 'lease' ? grant.lease : Number.NaN;
    const value = new Uint8Array([1]);
    for (let i = 0; i <= LEASE_KEY_NAMES_MAX; i++)
      await service.submit({ type: 'put', key: `k${String(i).padStart(4, '0')}`, value, lease });
    const body = (await app.inject({ method: 'GET', url: `/v1/leases/${lease}?keys=true&consistency=stale` })).json();
    expect([body.keys, body.keyNames.length, body.keyNames.at(-1), body.moreKeys]).toEqual([
      LEASE_KEY_NAMES_MAX + 1,
      LEASE_KEY_NAMES_MAX,
      'k0999',
      true,
    ]);
  });

  it("answers the leader's time left, and null when not leading", async () => {
    const { app, service } = await buildTestServer();
    const remaining = async () => (await app.inject({ method: 'GET', url: '/v1/leases/1024' })).json().remainingMs;
    service.leading = true;
    service.leaseExpiry.onTick();
    expect((await app.inject({ method: 'POST', url: '/v1/leases?ttl=30s' })).json().lease).toBe(1024);
    expect(await remaining()).toBe(30_000);
    service.nowMs = 12_000;
    expect(await remaining()).toBe(18_000);
    expect((await app.inject({ method: 'POST', url: '/v1/leases/1024/keepalive' })).statusCode).toBe(200);
    expect(await remaining()).toBe(30_000);
    service.leading = false;
    expect(await remaining()).toBeNull();
  });

  it.each([
    ['/v1/leases/0', 'params/id must be an integer from 1'],
    ['/v1/leases/abc', 'params/id must be an integer from 1'],
    ['/v1/leases/1024?keys=yes', 'querystring/keys'],
    ['/v1/leases/1024?limit=5', 'limit'],
    ['/v1/leases?limit=0', 'querystring/limit must be an integer from 1 to 1000'],
    ['/v1/leases?limit=1001', 'querystring/limit must be an integer from 1 to 1000'],
    ['/v1/leases?after=-1', 'querystring/after must be an integer from 1'],
    ['/v1/leases?consistency=eventual', 'querystring/consistency'],
  ])('GET %s is 400', async (url, message) => {
    const { app, service } = await buildTestServer();
    const res = await app.inject({ method: 'GET', url });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toContain(message);
    expect(service.submitted).toEqual([]);
  });
});
