// `npm run bench:reads`: read throughput of the two consistency modes on the mrtom-kv dev cluster.
// Seeds keys, then for each mode and concurrency runs closed-loop GETs spread over the three replicas
// for a bounded time, and reports reads/s, p50/p99 latency and log slots consumed per read (the cost
// of read barriers: linearizable reads share them, stale reads use none). Reported, never asserted.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Command } from 'commander';
import { Agent, request, setGlobalDispatcher } from 'undici';
import { stopChild } from './child.js';
import { integerIn, listOf } from './flags.js';
import { repoDir } from './paths.js';
import { waitReady } from './ready.js';
import { percentile } from './stats.js';
import { mrtomKv } from './targets/mrtom-kv.js';

const durationSMax = 60;
const connectionsMax = 512;
const seedKeys = 1_000;

const options = new Command()
  .description('Read throughput of linearizable (batched read barrier) vs stale reads')
  .option('--duration <s>', 'measured seconds per mode and concurrency', integerIn(1, durationSMax), 5)
  .option('--connections <list>', 'comma-separated concurrencies', listOf(integerIn(1, connectionsMax), 8), [1, 16, 64])
  .parse()
  .opts<{ duration: number; connections: number[] }>();

setGlobalDispatcher(new Agent({ connections: connectionsMax, keepAliveTimeout: 10_000 }));

async function appliedSlot(origin: string): Promise<number> {
  const res = await request(`${origin}/v1/status`);
  return ((await res.body.json()) as { appliedSlot: number }).appliedSlot;
}

async function run(origins: readonly string[], consistency: 'linearizable' | 'stale', connections: number, durationS: number) {
  const latenciesMs: number[] = [];
  let failed = 0;
  const slotsBefore = await appliedSlot(origins[0]!);
  const endAt = performance.now() + durationS * 1000;
  const worker = async (w: number): Promise<void> => {
    for (let i = 0; performance.now() < endAt; i++) {
      const started = performance.now();
      const res = await request(`${origins[(w + i) % origins.length]}/v1/kv/seed/${(w * 7919 + i) % seedKeys}?consistency=${consistency}`);
      await res.body.dump();
      if (res.statusCode === 200) latenciesMs.push(performance.now() - started);
      else failed += 1;
    }
  };
  await Promise.all(Array.from({ length: connections }, (_, w) => worker(w)));
  const slots = (await appliedSlot(origins[0]!)) - slotsBefore;
  const sorted = Float64Array.from(latenciesMs).sort();
  return {
    consistency,
    connections,
    readsPerSec: Math.round(latenciesMs.length / durationS),
    failed,
    p50Ms: Number(percentile(sorted, 50).toFixed(2)),
    p99Ms: Number(percentile(sorted, 99).toFixed(2)),
    logSlotsPerRead: Number((slots / Math.max(1, latenciesMs.length)).toFixed(4)),
  };
}

const dataDir = await mkdtemp(join(tmpdir(), 'mrtom-bench-reads-'));
const deployment = await mrtomKv.deploy(dataDir, repoDir);
try {
  await waitReady(deployment.probes, deployment.children);
  const origins = deployment.loadOrigins;
  for (let i = 0; i < seedKeys; i++)
    await (await request(`${origins[i % origins.length]}/v1/kv/seed/${i}`, { method: 'PUT', body: `value-${i}` })).body.dump();
  const rows = [];
  for (const connections of options.connections) {
    for (const consistency of ['linearizable', 'stale'] as const) {
      process.stderr.write(`${consistency} reads, ${connections} connections, ${options.duration} s...\n`);
      rows.push(await run(origins, consistency, connections, options.duration));
    }
  }
  console.table(rows);
} finally {
  for (const child of deployment.children) await stopChild(child);
  await rm(dataDir, { recursive: true, force: true });
}
