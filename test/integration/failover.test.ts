// Proves the slow path with real processes: kill -9 the serving sequencer and a standby takes over
// (session change); kill -9 the leader replica and the others elect the next (view change); with 5
// replicas, two may fail and the rest keep committing. After each,
// writes resume and every acknowledged write is readable from every replica. Prints the failover times
// (ms from the kill to the first acknowledged write submitted after it); they are reported, not asserted.
import { afterEach, describe, expect, it } from 'vitest';
import { startTestCluster, type TestCluster } from './harness/cluster.js';
import { http } from './harness/http.js';
import { waitUntilLive } from '../../src/runtime/readiness.js';
import { median, startWriteStream } from './harness/write-stream.js';
import { expectAllReadable } from './harness/verify.js';

const RECOVERY_DEADLINE_MS = 20_000;
const FAILOVERS = 3;

async function viewOf(url: string): Promise<number> {
  const metrics = (await http('GET', `${url}/metrics`)).body.toString();
  const line = metrics.split('\n').find((l) => l.startsWith('mrtom_replica_view '));
  return Number(line?.split(' ')[1]);
}

describe('failover', () => {
  let cluster: TestCluster | undefined;
  afterEach(async () => {
    await cluster?.stop();
    cluster = undefined;
  });

  it('moves to a standby sequencer when the serving one is killed', { timeout: 240_000 }, async () => {
    cluster = await startTestCluster({ sequencers: 2 });
    const c = cluster;
    const stream = startWriteStream({ name: 'seq-failover', writers: 8, targets: () => c.urls, durationMsMax: 150_000 });
    const times: number[] = [];
    let serving = 1;
    for (let i = 0; i < FAILOVERS; i++) {
      await stream.recoveredAfter(Date.now(), RECOVERY_DEADLINE_MS); // writes are flowing
      const killedAt = Date.now();
      await c.kill(`sequencer-${serving}`);
      times.push(await stream.recoveredAfter(killedAt, RECOVERY_DEADLINE_MS));
      // The killed one comes back idle (it serves only a session it is given): the next standby. The next
      // kill waits until it is up, so that what is measured is failover, not a process start.
      c.start(`sequencer-${serving}`);
      const restarted = c.config.sequencers.find((sq) => sq.id === serving)!;
      expect(await waitUntilLive(`http://${restarted.host}:${restarted.metricsPort}`, RECOVERY_DEADLINE_MS)).toBe(true);
      serving = serving === 1 ? 2 : 1;
    }
    await stream.stop();
    console.log(`sequencer failover ms: ${times.join(', ')} (median ${median(times)})`);
    expect(stream.acknowledged.size).toBeGreaterThan(0);
    await c.waitReady();
    await expectAllReadable(c.urls, stream.acknowledged);
  });

  it('elects a new leader when the leader replica is killed', { timeout: 240_000 }, async () => {
    cluster = await startTestCluster();
    const c = cluster;
    const ids = c.config.replicas.map((r) => r.id);
    let down: number | null = null;
    const live = (): string[] => c.urls.filter((_, i) => ids[i] !== down);
    const stream = startWriteStream({ name: 'leader-failover', writers: 8, targets: live, durationMsMax: 150_000 });
    const times: number[] = [];
    for (let i = 0; i < FAILOVERS - 1; i++) {
      await stream.recoveredAfter(Date.now(), RECOVERY_DEADLINE_MS);
      const leader = ids[(await viewOf(live()[0]!)) % ids.length]!;
      down = leader;
      const killedAt = Date.now();
      await c.kill(`replica-${leader}`);
      times.push(await stream.recoveredAfter(killedAt, RECOVERY_DEADLINE_MS));
      c.start(`replica-${leader}`);
      await c.waitReady();
      down = null;
    }
    await stream.stop();
    console.log(`leader failover ms: ${times.join(', ')} (median ${median(times)})`);
    await c.waitReady();
    await expectAllReadable(c.urls, stream.acknowledged);
  });

  it('keeps committing with f = 2 of 5 replicas down', { timeout: 240_000 }, async () => {
    cluster = await startTestCluster({ replicas: 5 });
    const c = cluster;
    const ids = c.config.replicas.map((r) => r.id);
    const leader = ids[(await viewOf(c.urls[0]!)) % ids.length]!;
    const victims = ids.filter((id) => id !== leader).slice(0, 2);
    for (const id of victims) await c.kill(`replica-${id}`);
    const live = c.urls.filter((_, i) => !victims.includes(ids[i]!));
    const stream = startWriteStream({ name: 'f2', writers: 8, targets: () => live, durationMsMax: 60_000 });
    await stream.recoveredAfter(Date.now(), RECOVERY_DEADLINE_MS);
    await stream.recoveredAfter(Date.now() + 2_000, RECOVERY_DEADLINE_MS); // and it keeps going
    await stream.stop();
    await expectAllReadable(live, stream.acknowledged);
    for (const id of victims) c.start(`replica-${id}`);
    await c.waitReady();
    await expectAllReadable(c.urls, stream.acknowledged);
  });
});
