// `npm run bench`: starts each target as real processes, puts the same write load on each in
// one run, prints them side by side and saves the numbers to bench/results/<timestamp>.json.
// Progress goes to stderr, the report to stdout.
import { rmSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { describeExit, killAllChildren, stopChild } from './child.js';
import { integerIn, listOf } from './flags.js';
import { runLoad } from './load.js';
import { repoDir, resultsDir } from './paths.js';
import { waitReady } from './ready.js';
import { formatReport, type BenchReport, type TargetOutcome } from './report.js';
import { baselineName, etcdName, mrtomKvName, targets } from './targets/registry.js';
import type { Deployment, Target } from './targets/target.js';

const durationSMax = 600;
const warmupSMax = 60;
const connectionsMax = 1_024;
const connectionLevelsMax = 16;
// Half of the baseline's 1 MiB body limit, leaving room for etcd's base64-in-JSON encoding.
const valueBytesMax = 512 * 1024;

const targetNames = targets.map((target) => target.name);
const options = new Command()
  .description('Side-by-side write benchmark: mrtom-kv dev cluster vs unreplicated baseline vs etcd')
  .option('--duration <s>', 'measured seconds per concurrency', integerIn(1, durationSMax), 8)
  .option('--warmup <s>', 'warm-up seconds before each measured run', integerIn(0, warmupSMax), 2)
  .option('--connections <list>', 'comma-separated concurrencies', listOf(integerIn(1, connectionsMax), connectionLevelsMax), [1, 16, 64])
  .option('--targets <list>', `comma-separated, from ${targetNames.join(',')}`, listOf(String, targetNames.length), targetNames)
  .option('--value-bytes <n>', 'bytes per value', integerIn(1, valueBytesMax), 100)
  .parse()
  .opts<{ duration: number; warmup: number; connections: number[]; targets: string[]; valueBytes: number }>();

const unknownTargets = options.targets.filter((name) => !targetNames.includes(name));
if (unknownTargets.length > 0) {
  console.error(`unknown target(s) ${unknownTargets.join(', ')}; known: ${targetNames.join(', ')}`);
  process.exit(2);
}

// The children lead their own process groups, so nothing else would stop them if we die; their
// data directories would also stay behind in the temp folder.
const liveDataDirs = new Set<string>();
process.on('exit', () => {
  killAllChildren();
  for (const dir of liveDataDirs) rmSync(dir, { recursive: true, force: true });
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => process.exit(130));
}

function progress(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

async function stopDeployment(target: Target, deployment: Deployment): Promise<void> {
  const exits = await Promise.all(deployment.children.map(stopChild));
  exits.forEach((exit, index) => {
    // A server that cannot shut down cleanly after a benchmark is worth knowing about. Dying by
    // the SIGTERM we sent is clean: etcd re-raises it after its orderly shutdown.
    const isClean = exit.code === 0 || exit.signal === 'SIGTERM';
    if (!isClean) progress(`${target.name}: ${deployment.children[index]!.name} did not stop cleanly: ${describeExit(exit)}`);
  });
}

async function benchTarget(target: Target, runId: string): Promise<TargetOutcome> {
  const outcome: TargetOutcome = { target: target.name, status: 'ran', loadOrigins: 0, runs: [] };
  const unavailable = target.unavailableReason();
  if (unavailable !== undefined) {
    progress(`${target.name}: skipped: ${unavailable}`);
    return { ...outcome, status: 'skipped', reason: unavailable };
  }
  const dataDir = await mkdtemp(join(tmpdir(), `mrtom-bench-${target.name}-`));
  liveDataDirs.add(dataDir);
  let deployment: Deployment | undefined;
  try {
    const startedMs = Date.now();
    progress(`${target.name}: starting (data in ${dataDir})`);
    deployment = await target.deploy(dataDir, repoDir);
    try {
      await waitReady(deployment.probes, deployment.children);
    } catch (error) {
      const reason = `did not start: ${(error as Error).message.trim()}`;
      progress(`${target.name}: ${reason}`);
      return { ...outcome, status: 'failed', reason };
    }
    progress(`${target.name}: ready after ${Date.now() - startedMs} ms`);
    outcome.loadOrigins = deployment.loadOrigins.length;
    for (const connections of options.connections) {
      progress(`${target.name}: ${connections} connection(s), ${options.warmup} s warm-up + ${options.duration} s`);
      const result = await runLoad({
        origins: deployment.loadOrigins,
        connections,
        durationS: options.duration,
        warmupS: options.warmup,
        valueBytes: options.valueBytes,
        keyPrefix: `bench-${runId}/c${connections}`,
        writeRequest: deployment.writeRequest,
      });
      outcome.runs.push(result);
    }
    return outcome;
  } catch (error) {
    const reason = `failed during the run: ${(error as Error).message}`;
    progress(`${target.name}: ${reason}`);
    return { ...outcome, status: 'failed', reason };
  } finally {
    if (deployment !== undefined) await stopDeployment(target, deployment);
    await rm(dataDir, { recursive: true, force: true });
    liveDataDirs.delete(dataDir);
  }
}

const startedAt = new Date();
const runId = startedAt.toISOString().replace(/[:.]/g, '-');
const report: BenchReport = {
  startedAt: startedAt.toISOString(),
  machine: {
    cpuCount: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    nodeVersion: process.version,
    platform: `${process.platform}-${process.arch}`,
  },
  settings: {
    durationS: options.duration,
    warmupS: options.warmup,
    valueBytes: options.valueBytes,
    connections: options.connections,
  },
  targets: [],
};
for (const target of targets.filter((candidate) => options.targets.includes(candidate.name))) {
  report.targets.push(await benchTarget(target, runId));
}

console.log(formatReport(report, baselineName, { subject: mrtomKvName, reference: etcdName }));
await mkdir(resultsDir, { recursive: true });
const resultsFile = join(resultsDir, `${runId}.json`);
await writeFile(resultsFile, `${JSON.stringify(report, null, 2)}\n`);
console.log(`\nresults: ${resultsFile}`);
