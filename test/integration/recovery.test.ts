// Proves a durability=memory replica killed with kill -9 comes back empty and catches up by SNAPSHOT, then serves every acknowledged write;
// the transfer runs on the peer listener under the cluster key, which refuses (401, counted) a request without it, while the
// client port has no /internal route at all (404).
// How: 100-entry log windows and writes until the applied slot is 5 windows past slot 1 (writes share slots when
// they arrive while a batch is in flight), so no peer holds slot 1; the restarted process must log 'snapshot installed' (info).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { peerPortOf } from '../../src/config/cluster.js';
import { peerAuthorizationOf } from '../../src/runtime/cluster-key.js';
import { startTestCluster, type TestCluster } from './harness/cluster.js';
import { http, put } from './harness/http.js';
import { PINO_LEVEL, readLogLines, waitForLogLine } from './harness/process-log.js';
import { expectAllReadable } from './harness/verify.js';

const LOG_RETAIN_ENTRIES = 100;
const SLOTS = 5 * LOG_RETAIN_ENTRIES;
const WRITES_MAX = 20 * SLOTS;
const ROUND_WRITES = 100;
const CONCURRENCY = 16;
const WRITE_PHASE_DEADLINE_MS = 60_000;
const SNAPSHOT_DEADLINE_MS = 30_000;
const CLUSTER_KEY = 'a test cluster key of more than 16 bytes';

async function metricOf(url: string, series: string): Promise<number> {
  const metrics = (await http('GET', `${url}/metrics`)).body.toString();
  const line = metrics.split('\n').find((l) => l.startsWith(`${series} `));
  expect(line, `${series} is exported`).toBeDefined();
  return Number(line!.split(' ')[1]);
}

const appliedSlotOf = (url: string): Promise<number> => metricOf(url, 'mrtom_replica_applied_slot');
const rejectedOf = (url: string, reason: string): Promise<number> =>
  metricOf(url, `mrtom_replica_peer_requests_rejected_total{reason="${reason}"}`);

describe('recovery', () => {
  let cluster: TestCluster | undefined;
  let keyDir: string | undefined;
  afterAll(async () => {
    await cluster?.stop();
    if (keyDir) await rm(keyDir, { recursive: true, force: true });
  });

  it('brings back a memory-durability replica by snapshot once peers no longer keep slot 1', { timeout: 180_000 }, async () => {
    keyDir = await mkdtemp(join(tmpdir(), 'mrtom-key-'));
    const keyFile = join(keyDir, 'cluster.key');
    await writeFile(keyFile, `${CLUSTER_KEY}\n`, { mode: 0o600 });
    cluster = await startTestCluster({
      durability: 'memory',
      logRetainEntries: LOG_RETAIN_ENTRIES,
      logLevel: 'info',
      clusterKeyFile: keyFile,
    });
    const c = cluster;
    const acknowledged = new Map<string, string>();
    const giveUpAt = Date.now() + WRITE_PHASE_DEADLINE_MS;
    let next = 0;
    let attempted = 0;
    while (next < WRITES_MAX && Date.now() < giveUpAt && (await appliedSlotOf(c.urls[0]!)) < SLOTS) {
      const roundEnd = next + ROUND_WRITES;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < roundEnd && Date.now() < giveUpAt) {
            const i = next++;
            attempted += 1;
            const res = await put(c.urls[i % c.urls.length]!, `mem/${i}`, `value-${i}`).catch(() => null);
            if (res?.status === 200) acknowledged.set(`mem/${i}`, `value-${i}`);
          }
        }),
      );
    }
    expect(acknowledged.size).toBe(attempted);
    // The peers' 100-entry windows start far above slot 1.
    const applied = await appliedSlotOf(c.urls[0]!);
    expect(applied).toBeGreaterThanOrEqual(SLOTS);

    const installed = (line: { level: number; msg: string; replica?: unknown }): boolean =>
      line.level === PINO_LEVEL.info && line.msg === 'snapshot installed' && line.replica === 3;
    expect((await readLogLines(c.logPath)).filter(installed)).toEqual([]);

    await c.kill('replica-3');
    const pid = c.start('replica-3');
    const line = await waitForLogLine(c.logPath, (l) => installed(l) && l.pid === pid, SNAPSHOT_DEADLINE_MS);
    // The snapshot itself reaches past the retained window: log shipping could not have served it.
    expect(line.appliedSlot).toBeGreaterThan(LOG_RETAIN_ENTRIES);
    await c.waitReady([c.urls[2]!]);
    expect(await appliedSlotOf(c.urls[2]!)).toBeGreaterThanOrEqual(applied);
    await expectAllReadable([c.urls[2]!], acknowledged);
  });

  it('refuses peer requests without the cluster key, counted by reason, and has no /internal route on the client port', async () => {
    const c = cluster!;
    // SIGHUP never stops a replica, with TLS or, as here, without (systemctl reload is safe).
    c.signal('replica-1', 'SIGHUP');
    await waitForLogLine(c.logPath, (l) => l.msg === 'SIGHUP: no TLS certificate to reload' && l.replica === 1, SNAPSHOT_DEADLINE_MS);
    await c.waitReady([c.urls[0]!]);
    const replica = c.config.replicas[0]!;
    const peerUrl = `http://${replica.host}:${peerPortOf(replica)}/internal/v1/snapshot`;
    const before = { missing: await rejectedOf(c.urls[0]!, 'missing-key'), wrong: await rejectedOf(c.urls[0]!, 'wrong-key') };

    const missing = await http('GET', peerUrl);
    expect(missing.status).toBe(401);
    expect(JSON.parse(missing.body.toString())).toMatchObject({ error: { code: 'unauthorized' } });
    const wrong = await http('GET', peerUrl, undefined, { authorization: peerAuthorizationOf(Buffer.from('another key, also 16+ bytes')) });
    expect(wrong.status).toBe(401);
    expect(wrong.body.toString()).not.toContain('mem/');
    expect(await rejectedOf(c.urls[0]!, 'missing-key')).toBe(before.missing + 1);
    expect(await rejectedOf(c.urls[0]!, 'wrong-key')).toBe(before.wrong + 1);

    const right = await http('GET', peerUrl, undefined, { authorization: peerAuthorizationOf(Buffer.from(CLUSTER_KEY)) });
    expect(right.status).toBe(200);
    expect(right.body.includes(Buffer.from('mem/0'))).toBe(true);

    // The peers' readiness in /v1/status is asked of their peer listeners, with the key.
    const status = JSON.parse((await http('GET', `${c.urls[0]!}/v1/status`)).body.toString()) as { peers: { ready: boolean }[] };
    expect(status.peers.map((p) => p.ready)).toEqual([true, true]);

    const clientPort = await http('GET', `${c.urls[0]!}/internal/v1/snapshot`);
    expect(clientPort.status).toBe(404);
    expect(clientPort.body.toString()).not.toContain('mem/');
  });
});
