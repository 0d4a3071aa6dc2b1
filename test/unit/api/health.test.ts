// Proves how /livez and /readyz render: /livez answers whenever the server does, and /readyz renders a
// given KvService.health() like a Kubernetes probe (JSON by default, [+]/[-] lines with ?verbose). The
// health itself is the replica runtime's, tested against real processes; here it is set by each test.
import { describe, expect, it } from 'vitest';
import type { NodeHealth } from '../../../src/api/service.js';
import { buildTestServer } from './store-service.js';

const READY: NodeHealth = {
  ready: true,
  checks: [
    { name: 'store', ok: true, detail: 'open' },
    { name: 'caught-up', ok: true, detail: 'applied 42 of 42 committed' },
  ],
};

const NOT_READY: NodeHealth = {
  ready: false,
  checks: [
    { name: 'store', ok: true, detail: 'open' },
    { name: 'caught-up', ok: false, detail: 'applied 10 of 42 committed' },
  ],
};

async function serverWithHealth(health: NodeHealth) {
  const server = await buildTestServer();
  server.service.health = () => health;
  return server;
}

describe('health probes', () => {
  it('livez answers 200 ok without asking the service', async () => {
    const { app } = await buildTestServer();
    const res = await app.inject({ method: 'GET', url: '/livez' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
  });

  it('readyz renders a ready health as 200 {"status":"ready"}', async () => {
    const { app } = await serverWithHealth(READY);
    const res = await app.inject({ method: 'GET', url: '/readyz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ready' });
  });

  it('readyz renders a not-ready health as 503 not_ready with its checks', async () => {
    const { app } = await serverWithHealth(NOT_READY);
    const res = await app.inject({ method: 'GET', url: '/readyz?verbose=false' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({ status: 'not_ready', checks: NOT_READY.checks });
  });

  it('readyz?verbose renders each check of a not-ready health as a [+]/[-] line, then the verdict', async () => {
    const { app } = await serverWithHealth(NOT_READY);
    const res = await app.inject({ method: 'GET', url: '/readyz?verbose' });
    expect(res.statusCode).toBe(503);
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(res.body).toBe('[+]store ok\n[-]caught-up failed: applied 10 of 42 committed\nreadyz check failed\n');
  });

  it('readyz?verbose=true renders a ready health as passed', async () => {
    const { app } = await serverWithHealth(READY);
    const res = await app.inject({ method: 'GET', url: '/readyz?verbose=true' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe('[+]store ok\n[+]caught-up ok\nreadyz check passed\n');
  });
});
