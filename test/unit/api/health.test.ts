// Proves /livez and /readyz answer like Kubernetes probes (JSON by default, [+]/[-] lines with ?verbose) and
// that readiness follows KvService.health() — by injecting requests over a store-backed service.
import { describe, expect, it } from 'vitest';
import { buildTestServer } from './store-service.js';

async function notReadyServer() {
  const server = await buildTestServer();
  server.service.nodeHealth = {
    ready: false,
    checks: [
      { name: 'status-normal', ok: true, detail: '' },
      { name: 'caught-up', ok: false, detail: 'applied seq 10 of 42 committed' },
    ],
  };
  return server;
}

describe('health probes', () => {
  it('livez answers 200 ok', async () => {
    const { app } = await buildTestServer();
    const res = await app.inject({ method: 'GET', url: '/livez' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
  });

  it('readyz answers 200 ready when the service is ready', async () => {
    const { app } = await buildTestServer();
    const res = await app.inject({ method: 'GET', url: '/readyz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ready' });
  });

  it('readyz answers 503 not_ready with the checks when the service is not ready', async () => {
    const { app, service } = await notReadyServer();
    const res = await app.inject({ method: 'GET', url: '/readyz?verbose=false' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({ status: 'not_ready', checks: service.nodeHealth.checks });
  });

  it('readyz?verbose lists every check as text with the verdict', async () => {
    const { app } = await notReadyServer();
    const res = await app.inject({ method: 'GET', url: '/readyz?verbose' });
    expect(res.statusCode).toBe(503);
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(res.body).toBe('[+]status-normal ok\n[-]caught-up failed: applied seq 10 of 42 committed\nreadyz check failed\n');
  });

  it('readyz?verbose=true on a ready node passes', async () => {
    const { app } = await buildTestServer();
    const res = await app.inject({ method: 'GET', url: '/readyz?verbose=true' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe('[+]quorum ok\nreadyz check passed\n');
  });
});
