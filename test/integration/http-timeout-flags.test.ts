// Proves `mrtom-kv replica --http-headers-timeout-ms / --http-request-timeout-ms` reach the client API: a
// replica started with them cuts unfinished headers with a 408 that names those very timeouts, and a pair
// the server cannot take stops the replica at start naming the flags. How: one real replica process and a
// raw TCP client.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawConnect } from '../unit/api/raw-http.js';
import { runCli } from './client-harness/cli.js';
import { startTestCluster, type TestCluster } from './harness/cluster.js';

describe('HTTP timeout flags of a replica', () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await startTestCluster({
      replicas: 1,
      replicaArgs: ['--http-headers-timeout-ms', '300', '--http-request-timeout-ms', '700'],
    });
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  it('cuts headers that never finish with a 408 naming the configured timeouts', async () => {
    const slow = await rawConnect(cluster.urls[0]!);
    slow.socket.write('GET /livez HTTP/1.1\r\nHost: a\r\nX-Slow: 1\r\n');
    const answer = await slow.response;
    expect(answer.status).toBe(408);
    expect(JSON.parse(answer.body).error.message).toContain('headers are due within 300 ms, the whole request within 700 ms');
    await slow.closed;
  });

  it('stops at start, naming the flags, when the headers may take longer than the whole request', async () => {
    const configPath = join(cluster.dataDir, 'cluster.json');
    const res = await runCli([
      'replica',
      ...['--config', configPath, '--id', '1', '--log-level', 'warn'],
      ...['--http-headers-timeout-ms', '2000', '--http-request-timeout-ms', '1000'],
    ]);
    expect(res).toMatchObject({ code: 2, stderr: expect.stringContaining('--http-headers-timeout-ms / --http-request-timeout-ms') });
    expect(res.stderr).toContain('must not exceed requestTimeoutMs');
  });
});
