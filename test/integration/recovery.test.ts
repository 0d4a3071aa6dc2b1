// Proves a durability=memory replica killed with kill -9 comes back empty and catches up by SNAPSHOT, then serves every acknowledged write.
// How: 100-entry log windows and writes until the applied slot is 5 windows past slot 1 (writes share slots when
// they arrive while a batch is in flight), so no peer holds slot 1; the restarted process must log 'snapshot installed' (info).
import { afterAll, describe, expect, it } from 'vitest';
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

async function appliedSlotOf(url: string): Promise<number> {
  const metrics = (await http('GET', `${url}/metrics`)).body.toString();
  const line = metrics.split('\n').find((l) => l.startsWith('mrtom_replica_applied_slot '));
  expect(line, 'mrtom_replica_applied_slot is exported').toBeDefined();
  return Number(line!.split(' ')[1]);
}

describe('recovery', () => {
  let cluster: TestCluster | undefined;
  afterAll(async () => {
    await cluster?.stop();
  });

  it('brings back a memory-durability replica by snapshot once peers no longer keep slot 1', { timeout: 180_000 }, async () => {
    cluster = await startTestCluster({ durability: 'memory', logRetainEntries: LOG_RETAIN_ENTRIES, logLevel: 'info' });
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
});
