// Proves /v1/status renders a given KvService.status() as JSON with no field lost and /metrics counts
// requests by route pattern and code — via app.inject() over a real store. The status itself is the
// replica runtime's, tested against real processes.
import { describe, expect, it } from 'vitest';
import type { NodeStatus } from '../../../src/api/service.js';
import { buildTestServer } from './store-service.js';

const STATUS: NodeStatus = {
  id: 2,
  status: 'view_change',
  view: 3,
  session: 4,
  sequencerId: 1,
  commitSlot: 90,
  appliedSlot: 88,
  revision: 70,
  peers: [
    { id: 1, url: 'http://127.0.0.1:7001', ready: true, detail: 'readyz 200' },
    { id: 3, url: 'http://127.0.0.1:7003', ready: false, detail: 'connect ECONNREFUSED' },
  ],
};

describe('operability', () => {
  it('GET /v1/status renders the given status as JSON, every field and peer included', async () => {
    const { app, service } = await buildTestServer();
    service.status = async () => STATUS;
    const res = await app.inject({ method: 'GET', url: '/v1/status' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual(STATUS);
  });

  it('counts requests by route pattern, method and status code', async () => {
    const { app } = await buildTestServer();
    await app.inject({ method: 'PUT', url: '/v1/kv/a', payload: 'v' });
    await app.inject({ method: 'GET', url: '/v1/kv/missing' });
    const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toContain('mrtom_http_requests_total{route="/v1/kv/*",method="PUT",code="200"} 1');
    expect(metrics).toContain('mrtom_http_requests_total{route="/v1/kv/*",method="GET",code="404"} 1');
    expect(metrics).toContain('mrtom_http_request_duration_seconds_bucket{le="10",route="/v1/kv/*",method="PUT",code="200"} 1');
  });
});

describe('closed query strings', () => {
  it.each([
    ['GET', '/v1/status?verbose=1', 'verbose'],
    ['POST', '/v1/leases/1/keepalive?x=1', 'x'],
    ['DELETE', '/v1/kv/k?prefix=a', 'prefix'],
  ] as const)('%s %s is 400 naming the parameter', async (method, url, name) => {
    const { app } = await buildTestServer();
    const res = await app.inject({ method, url });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toContain(`unknown parameter '${name}'`);
  });
});
