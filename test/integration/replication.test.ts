// Proves writes replicate through the real sequencer into every replica's LevelDB: bytes written through
// one replica are read back, byte for byte, from the others; many concurrent writers all land; a replica
// killed with SIGKILL mid-stream comes back holding every write that was acknowledged. Real processes,
// UDP, HTTP and LevelDB on loopback.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { startTestCluster, type TestCluster } from './harness/cluster.js';
import { get, put } from './harness/http.js';

describe('replication through the sequencer', () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await startTestCluster();
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('serves the same bytes from every replica', async () => {
    const value = randomBytes(10_000);
    const written = await put(cluster.urls[0]!, 'a/b', value);
    expect(written.status).toBe(200);
    const { revision } = JSON.parse(written.body.toString()) as { revision: number };
    expect(written.headers.etag).toBe(`"${revision}"`);
    for (const url of cluster.urls) {
      const read = await get(url, 'a/b');
      expect(read.status).toBe(200);
      expect(read.body.equals(value)).toBe(true);
      expect(read.headers.etag).toBe(`"${revision}"`);
      expect(Number(read.headers['x-mrtom-revision'])).toBeGreaterThanOrEqual(revision);
    }
  });

  it('lands 200 concurrent writers of distinct keys, readable from every replica', async () => {
    const writers = Array.from({ length: 200 }, (_, i) => ({
      key: `concurrent/${i}`,
      value: `value-${i}-${randomBytes(8).toString('hex')}`,
    }));
    const results = await Promise.all(writers.map((w, i) => put(cluster.urls[i % cluster.urls.length]!, w.key, w.value)));
    expect(results.map((r) => r.status)).toEqual(writers.map(() => 200));
    const revisions = results.map((r) => (JSON.parse(r.body.toString()) as { revision: number }).revision);
    expect(new Set(revisions).size).toBe(200); // one revision per write, never shared
    for (const url of cluster.urls) {
      const reads = await Promise.all(writers.map((w) => get(url, w.key)));
      expect(reads.map((r) => r.body.toString())).toEqual(writers.map((w) => w.value));
    }
  });

  it('keeps every acknowledged write across a kill -9 of a replica in the middle of a write stream', async () => {
    const victim = 'replica-2';
    const writeTargets = [cluster.urls[0]!, cluster.urls[2]!];
    const acknowledged = new Map<string, string>();
    const streamDeadline = Date.now() + 20_000;
    const WRITERS = 8;
    const WRITES_PER_WRITER_MAX = 150;
    let killed = false;
    await Promise.all(
      Array.from({ length: WRITERS }, async (_, w) => {
        for (let i = 0; i < WRITES_PER_WRITER_MAX && Date.now() < streamDeadline; i++) {
          const key = `stream/${w}/${i}`;
          const value = `${w}:${i}:${randomBytes(4).toString('hex')}`;
          if (w === 0 && i === 40 && !killed) {
            killed = true;
            await cluster.kill(victim, 'SIGKILL');
          }
          if (w === 0 && i === 100) cluster.start(victim);
          const res = await put(writeTargets[i % 2]!, key, value).catch(() => null);
          if (res?.status === 200) acknowledged.set(key, value);
        }
      }),
    );
    expect(killed).toBe(true);
    expect(acknowledged.size).toBeGreaterThan(WRITERS * 100);
    await cluster.waitReady();
    for (const url of cluster.urls) {
      const keys = [...acknowledged.keys()];
      const reads = await Promise.all(keys.map((k) => get(url, k)));
      const mismatched = keys.filter((k, i) => reads[i]!.status !== 200 || reads[i]!.body.toString() !== acknowledged.get(k));
      const sample = mismatched
        .slice(0, 3)
        .map((k) => `${k}: ${reads[keys.indexOf(k)]!.status} ${reads[keys.indexOf(k)]!.body.toString().slice(0, 120)}`);
      expect(mismatched, `replica ${url}: ${sample.join('; ')}`).toEqual([]);
    }
  });
});
