// Proves mutual TLS on the peer listener end to end: replicas started with --peer-tls-cert, --peer-tls-key
// and --peer-tls-ca reach each other over https (peer readiness in /v1/status, a follower asking the
// leader how long a lease has left), the snapshot route answers a peer's certificate, the listener refuses
// plain HTTP, a client without a certificate and one from another CA, SIGHUP serves a new peer
// certificate, and a certificate without its CA stops the replica at start. How: 3 real replica processes
// and a CA made at test time; raw TLS handshakes and undici requests against the peer port.
import { copyFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '../../src/client/index.js';
import { peerPortOf } from '../../src/config/cluster.js';
import { startTestCluster, type TestCluster } from './harness/cluster.js';
import { runCli } from './client-harness/cli.js';
import { waitForLogLine } from './harness/process-log.js';
import { createTestCa, type IssuedCert, type TestCa } from './harness/test-ca.js';

const RELOAD_DEADLINE_MS = 10_000;

interface Trust {
  ca: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

async function trustOf(caPath: string, issued?: IssuedCert): Promise<Trust> {
  const ca = await readFile(caPath);
  return issued === undefined ? { ca } : { ca, cert: await readFile(issued.cert), key: await readFile(issued.key) };
}

/** The common name of the certificate the peer listener at `port` presents to a client holding `trust`. */
function servedCommonName(port: number, trust: Trust): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ...trust }, () => {
      resolve(String(socket.getPeerCertificate().subject.CN));
      socket.destroy();
    });
    socket.once('error', reject);
  });
}

/** GET `path` of the peer listener over https with `trust`: the status, or the error's message. */
async function peerGet(port: number, path: string, trust: Trust): Promise<number | string> {
  const agent = new Agent({ connect: trust });
  try {
    const res = await request(`https://127.0.0.1:${port}${path}`, { dispatcher: agent, headersTimeout: 5_000, bodyTimeout: 5_000 });
    await res.body.dump();
    return res.statusCode;
  } catch (err) {
    return `${(err as Error).message} ${(err as { code?: string }).code ?? ''}`;
  } finally {
    await agent.close();
  }
}

describe('mutual TLS on the peer listener', () => {
  let ca: TestCa;
  let otherCa: TestCa;
  let served: IssuedCert;
  let cluster: TestCluster;
  let peerPort: number;
  beforeAll(async () => {
    ca = await createTestCa();
    otherCa = await createTestCa();
    const issued = await ca.issuePeer('peer-1');
    // The replicas read these paths; the reload test overwrites them.
    served = { cert: join(ca.dir, 'peer.crt'), key: join(ca.dir, 'peer.key') };
    await copyFile(issued.cert, served.cert);
    await copyFile(issued.key, served.key);
    cluster = await startTestCluster({
      replicaArgs: ['--peer-tls-cert', served.cert, '--peer-tls-key', served.key, '--peer-tls-ca', ca.caCert],
      logLevel: 'info',
    });
    peerPort = peerPortOf(cluster.config.replicas[0]!);
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
    await ca?.remove();
    await otherCa?.remove();
  });

  it('replicates, reports every peer ready and counts a lease down through the peers’ https listeners', async () => {
    const kv = new Client({ endpoints: cluster.urls });
    try {
      const lease = await kv.leases.grant(60_000);
      await kv.put('peer-tls/a', 'over tls', { lease: lease.lease });
      for (const url of cluster.urls) {
        const one = new Client({ endpoints: [url] });
        try {
          expect((await one.get('peer-tls/a'))?.text()).toBe('over tls');
          // Only the leader counts leases down; every other replica asks it over the peer listener.
          expect((await one.leases.get(lease.lease)).remainingMs).toBeGreaterThan(0);
          const status = await one.status();
          expect(status.peers).toHaveLength(2);
          expect(status.peers.every((p) => p.ready)).toBe(true);
        } finally {
          await one.close();
        }
      }
      await kv.leases.revoke(lease.lease);
    } finally {
      await kv.close();
    }
  });

  it('serves the snapshot to a peer’s certificate, and refuses plain HTTP, no certificate and another CA’s', async () => {
    const peer = await trustOf(ca.caCert, served);
    expect(await peerGet(peerPort, '/internal/v1/snapshot', peer)).toBe(200);
    expect(await peerGet(peerPort, '/internal/v1/snapshot', await trustOf(ca.caCert))).toMatch(
      /certificate required|other side closed|ECONNRESET|socket hang up/,
    );
    const foreign = await otherCa.issuePeer('intruder');
    const withForeign = { ...(await trustOf(otherCa.caCert, foreign)), ca: peer.ca };
    expect(await peerGet(peerPort, '/internal/v1/snapshot', withForeign)).toMatch(/unknown ca|other side closed|ECONNRESET|socket hang up/);
    const plain = await request(`http://127.0.0.1:${peerPort}/internal/v1/ready`).then(
      async (res) => {
        await res.body.dump();
        return res.statusCode;
      },
      (err: Error) => err.message,
    );
    expect(plain).not.toBe(200);
  });

  it('serves a new peer certificate after SIGHUP, and the replica keeps working with its peers', async () => {
    const peer = await trustOf(ca.caCert, served);
    expect(await servedCommonName(peerPort, peer)).toBe('peer-1');
    const next = await ca.issuePeer('peer-2');
    await copyFile(next.cert, served.cert);
    await copyFile(next.key, served.key);
    cluster.signal('replica-1', 'SIGHUP');
    await waitForLogLine(
      cluster.logPath,
      (l) => l.msg === 'tls certificate reloaded' && l.replica === 1 && (l as { listener?: string }).listener === 'peer',
      RELOAD_DEADLINE_MS,
    );
    expect(await servedCommonName(peerPort, await trustOf(ca.caCert, next))).toBe('peer-2');
    const kv = new Client({ endpoints: [cluster.urls[0]!] });
    try {
      const status = await kv.status();
      expect(status.peers.every((p) => p.ready)).toBe(true);
    } finally {
      await kv.close();
    }
  });

  it('stops at startup with the flag named when the CA is missing or a file is not what its flag says', async () => {
    const configPath = join(cluster.dataDir, 'cluster.json');
    const replica = (...args: string[]) => runCli(['replica', '--config', configPath, '--id', '1', '--log-level', 'warn', ...args]);
    const noCa = await replica('--peer-tls-cert', served.cert, '--peer-tls-key', served.key);
    expect(noCa).toMatchObject({ code: 2, stderr: expect.stringContaining('--peer-tls-cert needs --peer-tls-ca') });
    const notCa = await replica('--peer-tls-cert', served.cert, '--peer-tls-key', served.key, '--peer-tls-ca', served.key);
    expect(notCa).toMatchObject({ code: 2, stderr: expect.stringContaining('--peer-tls-ca') });
    for (const res of [noCa, notCa]) expect(res.stderr).not.toMatch(/\n\s+at /);
  });
});
