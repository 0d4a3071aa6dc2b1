// Proves the lease routes: grant with a TTL, attach keys by ?lease= or ?ttl= (whose reply names the lease),
// keepalive, revoke deleting the attached keys at a revision it answers, 404 for unknown leases and 400 for bad TTLs — via app.inject() over a real store.
import { describe, expect, it } from 'vitest';
import { buildTestServer } from './store-service.js';

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
});
