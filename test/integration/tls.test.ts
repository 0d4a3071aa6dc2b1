// Proves the client API over TLS end to end: the SDK and the CLI over https:// with a CA made at test
// time, mutual TLS refusing clients without a certificate or trust, SIGHUP serving a new certificate,
// and startup errors that name the flag. How: 3 real replica processes started with --tls-cert,
// --tls-key and --tls-client-ca; the served certificate is read from a raw TLS handshake.
import { copyFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '../../src/client/index.js';
import { startTestCluster, type TestCluster } from './harness/cluster.js';
import { runCli } from './client-harness/cli.js';
import { waitForLogLine } from './harness/process-log.js';
import { createTestCa, type IssuedCert, type TestCa } from './harness/test-ca.js';

const RELOAD_DEADLINE_MS = 10_000;

/** The common name of the certificate the server at `port` presents now. */
function servedCommonName(port: number, ca: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ca, servername: 'localhost' }, () => {
      resolve(String(socket.getPeerCertificate().subject.CN));
      socket.destroy();
    });
    socket.once('error', reject);
  });
}

describe('TLS on the client API', () => {
  let ca: TestCa;
  let served: IssuedCert;
  let client: IssuedCert;
  let trust: { ca: Buffer; cert: Buffer; key: Buffer };
  let cluster: TestCluster;
  beforeAll(async () => {
    ca = await createTestCa();
    const issued = await ca.issueServer('server-1');
    // The replicas read these paths; the reload test overwrites them.
    served = { cert: join(ca.dir, 'served.crt'), key: join(ca.dir, 'served.key') };
    await copyFile(issued.cert, served.cert);
    await copyFile(issued.key, served.key);
    client = await ca.issueClient('client-1');
    trust = { ca: await readFile(ca.caCert), cert: await readFile(client.cert), key: await readFile(client.key) };
    cluster = await startTestCluster({
      replicaArgs: ['--tls-cert', served.cert, '--tls-key', served.key, '--tls-client-ca', ca.caCert],
      tls: trust,
      logLevel: 'info',
    });
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
    await ca?.remove();
  });

  it('serves the SDK over https with a client certificate, and /v1/status names https peers', async () => {
    const kv = new Client({ endpoints: cluster.urls, tls: trust });
    try {
      const { revision } = await kv.put('tls/sdk', 'secret value');
      expect((await kv.get('tls/sdk'))?.text()).toBe('secret value');
      expect(revision).toBeGreaterThan(0);
      const status = await kv.status();
      expect(status.peers.map((p) => p.url)).toEqual(cluster.urls.slice(1));
      expect(status.peers.every((p) => p.ready)).toBe(true);
    } finally {
      await kv.close();
    }
  });

  it('serves the CLI with --ca-file, --cert and --key, and with their env variables', async () => {
    const endpoints = cluster.urls.join(',');
    const flags = ['--endpoints', endpoints, '--ca-file', ca.caCert, '--cert', client.cert, '--key', client.key];
    expect(await runCli(['put', 'tls/cli', 'hello', ...flags])).toMatchObject({
      code: 0,
      stdout: expect.stringMatching(/^OK revision \d+\n$/),
    });
    const env = { MRTOM_ENDPOINTS: endpoints, MRTOM_CA_FILE: ca.caCert, MRTOM_CERT: client.cert, MRTOM_KEY: client.key };
    expect(await runCli(['get', 'tls/cli'], { env })).toMatchObject({ code: 0, stdout: 'hello' });
  });

  it('refuses a client without a certificate, and a client that does not trust the CA', async () => {
    const noCert = new Client({ endpoints: cluster.urls, tls: { ca: trust.ca }, timeoutMs: 2_000, retry: { attemptsMax: 2 } });
    const noTrust = new Client({ endpoints: cluster.urls, timeoutMs: 2_000 });
    try {
      await expect(noCert.get('tls/sdk')).rejects.toThrow(/other side closed|certificate required|ECONNRESET/);
      await expect(noTrust.get('tls/sdk')).rejects.toMatchObject({ code: 'tls_failed', message: expect.stringMatching(/self-signed/) });
    } finally {
      await noCert.close();
      await noTrust.close();
    }
    const cli = await runCli(['get', 'tls/cli', '--endpoints', cluster.urls[0]!, '--ca-file', ca.caCert, '--timeout', '2s']);
    expect(cli.code).not.toBe(0);
    expect(cli.stdout).toBe('');
  });

  it('names the flag of a missing or unreadable file in a client verb', async () => {
    const res = await runCli(['get', 'x', '--endpoints', cluster.urls[0]!, '--ca-file', join(ca.dir, 'absent.pem')]);
    expect(res).toMatchObject({ code: 2, stderr: expect.stringContaining('--ca-file') });
    expect(res.stderr).toContain('ENOENT');
  });

  it('serves a new certificate after SIGHUP, without a restart', async () => {
    const port = cluster.config.replicas[0]!.httpPort;
    expect(await servedCommonName(port, trust.ca)).toBe('server-1');
    const next = await ca.issueServer('server-2');
    await copyFile(next.cert, served.cert);
    await copyFile(next.key, served.key);
    cluster.signal('replica-1', 'SIGHUP');
    await waitForLogLine(cluster.logPath, (l) => l.msg === 'tls certificate reloaded' && l.replica === 1, RELOAD_DEADLINE_MS);
    expect(await servedCommonName(port, trust.ca)).toBe('server-2');
    // The same process still serves requests.
    const kv = new Client({ endpoints: [cluster.urls[0]!], tls: trust });
    try {
      expect((await kv.get('tls/sdk'))?.text()).toBe('secret value');
    } finally {
      await kv.close();
    }
  });

  it('stops at startup with the flag named when a file is missing or the key is not the certificate’s', async () => {
    const configPath = join(cluster.dataDir, 'cluster.json');
    const replica = (...args: string[]) => runCli(['replica', '--config', configPath, '--id', '1', '--log-level', 'warn', ...args]);
    const missing = await replica('--tls-cert', join(ca.dir, 'absent.crt'), '--tls-key', served.key);
    expect(missing).toMatchObject({ code: 2, stderr: expect.stringContaining('--tls-cert') });
    const mismatched = await replica('--tls-cert', served.cert, '--tls-key', client.key);
    expect(mismatched).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/--tls-key .* does not belong to the certificate in --tls-cert/),
    });
    const half = await replica('--tls-cert', served.cert);
    expect(half).toMatchObject({ code: 2, stderr: expect.stringContaining('--tls-cert needs --tls-key') });
    for (const res of [missing, mismatched, half]) expect(res.stderr).not.toMatch(/\n\s+at /);
  });
});
