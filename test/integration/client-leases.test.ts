// Proves the SDK's lease reads against a real HTTP server over a real store: leases.list() pages through
// every lease in id order, leases.get() answers the granted TTL, key count, key names and the leader's
// time left (null off the leader), and an unknown lease is a NotFoundError with code lease_not_found.
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { Client, NotFoundError, type LeasePage } from '../../src/client/index.js';
import { buildTestServer } from '../unit/api/store-service.js';

async function serving() {
  const { app, service } = await buildTestServer();
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  return { kv: new Client({ endpoints: [`http://127.0.0.1:${port}`] }), service };
}

describe('SDK lease reads', () => {
  it('lists leases a page at a time and reads one with its keys', async () => {
    const { kv } = await serving();
    const first = await kv.leases.grant(30_000);
    const second = await kv.leases.grant(60_000);
    await kv.put('svc/b', 'up', { lease: first.lease });
    await kv.put('svc/a', 'up', { lease: first.lease });

    const pages: LeasePage[] = [];
    for await (const page of kv.leases.list({ pageSize: 1, consistency: 'stale' })) pages.push(page);
    expect(pages).toEqual([
      { revision: 2, leases: [{ lease: first.lease, ttlMs: 30_000, keys: 2 }], next: first.lease },
      { revision: 2, leases: [{ lease: second.lease, ttlMs: 60_000, keys: 0 }], next: null },
    ]);

    expect(await kv.leases.get(first.lease, { keys: true })).toEqual({
      revision: 2,
      lease: first.lease,
      ttlMs: 30_000,
      keys: 2,
      remainingMs: null,
      keyNames: ['svc/a', 'svc/b'],
      moreKeys: false,
    });
    expect(await kv.leases.get(second.lease)).toEqual({ revision: 2, lease: second.lease, ttlMs: 60_000, keys: 0, remainingMs: null });

    await kv.leases.revoke(first.lease);
    const gone = await kv.leases.get(first.lease).catch((err: unknown) => err);
    expect(gone).toBeInstanceOf(NotFoundError);
    expect((gone as NotFoundError).code).toBe('lease_not_found');
    await kv.close();
  });

  it("answers the leader's time left", async () => {
    const { kv, service } = await serving();
    service.leading = true;
    service.leaseExpiry.onTick();
    const { lease } = await kv.leases.grant(30_000);
    service.nowMs = 1_000;
    expect((await kv.leases.get(lease)).remainingMs).toBe(29_000);
    await kv.close();
  });
});
