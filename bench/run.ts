// `npm run bench`: deploys each target as real processes, measures every point of the plan on
// each in interleaved rounds (round r deploys every target afresh and runs all points on it), so a
// change in the shared machine's load spreads over the targets instead of favouring one. Prints
// the report (stdout; progress on stderr) and saves it under bench/results/<timestamp>/.
import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildReport, type TargetOutcome } from './bench-report.js';
import { describeExit, killAllChildren, stopChild } from './child.js';
import { machineInfo } from './machine.js';
import type { RunResult } from './measure.js';
import { parseOptions } from './options.js';
import { repoDir } from './paths.js';
import { pointKey } from './plan.js';
import { waitReady } from './ready.js';
import { formatReport } from './report-markdown.js';
import { runRound, type RoundSettings } from './round.js';
import { saveResults } from './results.js';
import { targetNamed } from './targets/registry.js';
import type { Deployment, Target } from './targets/target.js';

const args = process.argv.slice(2);
const options = parseOptions(args);

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

function describeRun(run: RunResult): string {
  const generators = run.generatorCount > 1 ? ` (${run.generatorCount} generators)` : '';
  return (
    `${Math.round(run.reqPerSecMedian)} req/s, p50 ${run.latencyMsP50.toFixed(2)} ms, ${Math.round(run.serverUsPerOp)} µs CPU/op, ` +
    `loadgen ${Math.round(run.loadgenCpuPctOfCoreMax)}% core${generators}${run.non2xx + run.errors > 0 ? `, ${run.non2xx + run.errors} errors` : ''}`
  );
}

const startedAt = new Date();
const settings: RoundSettings = {
  runId: startedAt.toISOString().replace(/[:.]/g, '-'),
  plan: options.plan,
  warmupS: options.warmupS,
  durationS: options.durationS,
  deployWarmupS: options.deployWarmupS,
  loadgenCheck: options.loadgenCheck,
};
const outcomes: TargetOutcome[] = options.targets.map((name) => ({ target: name, status: 'ran', loadOrigins: 0 }));
const runs: RunResult[] = [];

async function deployAndRun(target: Target, outcome: TargetOutcome, round: number): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), `mrtom-bench-${target.name}-`));
  liveDataDirs.add(dataDir);
  let deployment: Deployment | undefined;
  const label = `round ${round}/${options.runs} ${target.name}`;
  try {
    const startedMs = Date.now();
    deployment = await target.deploy(dataDir, repoDir);
    try {
      await waitReady(deployment.probes, deployment.children);
    } catch (error) {
      throw new Error(`did not start: ${(error as Error).message.trim()}`);
    }
    progress(`${label}: ready after ${Date.now() - startedMs} ms (data in ${dataDir})`);
    outcome.loadOrigins = deployment.loadOrigins.length;
    await runRound(
      {
        target,
        deployment,
        number: round,
        checkPoint: runs.find((run) => run.target === target.name && run.purpose === 'loadgen-check')?.point,
        onRun(run) {
          // Kept as they come, so a round that fails later still reports what it measured.
          runs.push(run);
          progress(`${label} ${pointKey(run.point)}: ${describeRun(run)}`);
        },
      },
      settings,
    );
  } finally {
    if (deployment !== undefined) await stopDeployment(target, deployment);
    await rm(dataDir, { recursive: true, force: true });
    liveDataDirs.delete(dataDir);
  }
}

const runSeconds = options.warmupS + options.durationS;
const checkRuns = options.loadgenCheck ? 2 : 0;
const loadSeconds = options.targets.length * options.runs * (options.deployWarmupS + (options.plan.length + checkRuns) * runSeconds);
progress(
  `${options.plan.length} point(s) × ${options.targets.length} target(s) × ${options.runs} run(s) of ${runSeconds} s, ` +
    `${checkRuns} check run(s) and ${options.deployWarmupS} s of warm-up per deployment: about ${Math.ceil(loadSeconds / 60)} min of load, plus starts and seeding`,
);
for (let round = 1; round <= options.runs; round += 1) {
  for (const outcome of outcomes) {
    if (outcome.status !== 'ran') continue;
    const target = targetNamed(outcome.target);
    const unavailable = target.unavailableReason();
    if (unavailable !== undefined) {
      progress(`${target.name}: skipped: ${unavailable}`);
      Object.assign(outcome, { status: 'skipped', reason: unavailable });
      continue;
    }
    try {
      await deployAndRun(target, outcome, round);
    } catch (error) {
      const reason = `round ${round}: ${(error as Error).message}`;
      progress(`${target.name}: FAILED ${reason}`);
      Object.assign(outcome, { status: 'failed', reason });
    }
  }
}

const report = buildReport({
  startedAt,
  machine: machineInfo(),
  settings: {
    command: `npm run bench${args.length > 0 ? ` -- ${args.join(' ')}` : ''}`,
    runs: options.runs,
    warmupS: options.warmupS,
    durationS: options.durationS,
    deployWarmupS: options.deployWarmupS,
    loadgenCheck: options.loadgenCheck,
    plan: options.plan,
  },
  targets: outcomes,
  runs,
});
const markdown = formatReport(report);
process.stdout.write(markdown);
const dir = await saveResults(settings.runId, report, markdown);
process.stdout.write(`\nresults: ${dir}\n`);
if (outcomes.some((outcome) => outcome.status === 'failed')) process.exitCode = 1;
