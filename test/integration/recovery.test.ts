// Proves recovery with real processes: a replica with durability=memory that is killed after 10,000
// writes restarts with nothing, rejoins through the recovery protocol (voting on nothing meanwhile),
// catches up — by snapshot, since the peers' log windows no longer reach back to slot 1 — and then
// serves linearizable reads of every acknowledged write.
import { afterAll, describe, expect, it } from 'vitest';
import { startTestCluster, type TestCluster } from './harness/cluster.js';
import { http, put } from './harness/http.js';
import { expectAllReadable } from './harness/verify.js';

const WRITES = 10_000;
const CONCURRENCY = 64;
const WRITE_PHASE_DEADLINE_MS = 180_000;

describe('recovery', () => {
  let cluster: TestCluster | undefined;
  afterAll(async () => {
    await cluster?.stop();
  });

  it('brings back a memory-durability replica after 10k writes', { timeout: 420_000 }, async () => {
    cluster = await startTestCluster({ durability: 'memory' });
    const c = cluster;
    const acknowledged = new Map<string, string>();
    const giveUpAt = Date.now() + WRITE_PHASE_DEADLINE_MS;
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < WRITES && Date.now() < giveUpAt) {
          const i = next++;
          const res = await put(c.urls[i % 2]!, `mem/${i}`, `value-${i}`).catch(() => null);
          if (res?.status === 200) acknowledged.set(`mem/${i}`, `value-${i}`);
        }
      }),
    );
    expect(acknowledged.size).toBe(WRITES);

    await c.kill('replica-3');
    c.start('replica-3');
    await c.waitReady([c.urls[2]!]);
    const metrics = (await http('GET', `${c.urls[2]}/metrics`)).body.toString();
    expect(metrics).toMatch(/mrtom_replica_applied_slot (\d+)/);
    await expectAllReadable([c.urls[2]!], acknowledged);
  });
});
