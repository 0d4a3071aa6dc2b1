// Proves the SDK's watch iterator survives kill -9 of the replica it streams from: it resumes on another
// replica from its cursor, and the frames it delivers are exactly the writes made, in revision order,
// with no gap and no duplicate. Also: a start older than the history window is a typed CompactedError.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCluster, type TestCluster } from './harness/cluster.js';
import { waitFor } from './client-harness/wait.js';
import { Client, CompactedError, PreconditionFailedError, type WatchFrame } from '../../src/client/index.js';

const WRITES = 150;
/** The replicas keep this much watch history, so the compaction test can outrun it quickly; it is above
 *  what the kill test writes, so a watch resuming there is never compacted. */
const HISTORY_REVISIONS = 200;
const WRITE_CONCURRENCY = 16;
const FRAMES_BEFORE_KILL = 50;
const DELIVERY_DEADLINE_MS = 60_000;

describe('SDK watch under kill -9', () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    // Replica processes, restarted ones included, read it from the environment they inherit.
    process.env.MRTOM_WATCH_HISTORY_REVISIONS = String(HISTORY_REVISIONS);
    cluster = await startTestCluster();
  });
  afterAll(async () => {
    await cluster?.stop();
    delete process.env.MRTOM_WATCH_HISTORY_REVISIONS;
  });

  it('resumes on another replica with no gap and no duplicate', { timeout: 120_000 }, async () => {
    const [watched, ...others] = cluster.urls;
    const watcher = new Client({ endpoints: cluster.urls });
    // The writer never uses the watched replica, so killing it leaves every write's revision known.
    const writer = new Client({ endpoints: others, timeoutMs: 30_000 });
    try {
      const start = await writer.put('w/start', 'start');
      const watch = watcher.watch({ prefix: 'w/', fromRevision: start.revision + 1 });
      const frames: WatchFrame[] = [];
      const consuming = (async () => {
        for await (const frame of watch) {
          frames.push(frame);
          if (frames.length === WRITES) return;
        }
      })();
      const written = new Map<string, number | null>();
      const writing = (async () => {
        for (let i = 0; i < WRITES; i++) {
          const key = `w/${i}`;
          try {
            written.set(key, (await writer.put(key, String(i), { ifAbsent: true })).revision);
          } catch (err) {
            // Create-only and unique: a 412 after a lost answer means it was written, at a revision unknown here.
            if (!(err instanceof PreconditionFailedError && err.mayHaveHappened)) throw err;
            written.set(key, null);
          }
        }
      })();

      await Promise.race([waitFor('frames before the kill', () => frames.length >= FRAMES_BEFORE_KILL, DELIVERY_DEADLINE_MS), writing]);
      expect(watch.endpoint).toBe(watched);
      const victim = `replica-${cluster.config.replicas[cluster.urls.indexOf(watched!)]!.id}`;
      await cluster.kill(victim, 'SIGKILL');
      await writing;
      await Promise.race([waitFor('every write delivered', () => frames.length >= WRITES, DELIVERY_DEADLINE_MS), consuming]);
      await consuming;

      expect(watch.streamCount).toBeGreaterThanOrEqual(2);
      expect(watch.endpoint).not.toBe(watched);
      const revisions = frames.map((f) => f.revision);
      // Only the writer writes: consecutive revisions from the first write on, each delivered once.
      expect(revisions).toEqual(revisions.map((_, i) => start.revision + 1 + i));
      const delivered = frames.flatMap((f) => f.events.map((e) => ({ key: e.key, type: e.type, revision: f.revision })));
      expect(delivered.map((e) => e.key)).toEqual([...written.keys()]);
      expect(delivered.every((e) => e.type === 'put')).toBe(true);
      for (const event of delivered) {
        const revision = written.get(event.key);
        if (revision !== null) expect(event.revision).toBe(revision);
      }
      console.log(`watch: ${frames.length} frames over ${watch.streamCount} streams, now from ${watch.endpoint}`);
      watch.close();
      cluster.start(victim);
    } finally {
      await watcher.close();
      await writer.close();
    }
  });

  it('reports a start before the history window as CompactedError', { timeout: 60_000 }, async () => {
    // The replicas the first test never killed: the restarted one may still be catching up, and a watch
    // it served from behind would wait for revisions instead of answering 410.
    const client = new Client({ endpoints: cluster.urls.slice(1) });
    try {
      const keys = Array.from({ length: 2 * HISTORY_REVISIONS }, (_, i) => `old/${i}`);
      for (let i = 0; i < keys.length; i += WRITE_CONCURRENCY) {
        await Promise.all(keys.slice(i, i + WRITE_CONCURRENCY).map((key) => client.put(key, key)));
      }
      const watch = client.watch({ prefix: 'old/', fromRevision: 1 });
      const error = await watch[Symbol.asyncIterator]()
        .next()
        .then(
          () => null,
          (err: unknown) => err,
        );
      expect(error).toBeInstanceOf(CompactedError);
      expect((error as CompactedError).oldestRevision).toBeGreaterThan(1);
    } finally {
      await client.close();
    }
  });
});
