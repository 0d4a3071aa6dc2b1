// One measured run of one point on one deployed target: warms the load generators up, then takes
// CPU snapshots of every serving process, the generators, this runner and the whole machine
// around the measured phase, and turns the generators' results into throughput, latency and CPU
// per operation.
import { setTimeout as sleep } from 'node:timers/promises';
import { startGenerators } from './generators.js';
import { machineTimes } from './machine.js';
import type { Point } from './plan.js';
import { readProcessCpu, type ProcessCpu } from './proc.js';
import { median, percentile } from './stats.js';
import type { Deployment, RoleProcess } from './targets/target.js';

export interface RoleCpu extends RoleProcess {
  cpuMs: number;
  // NaN when the process restarted or exited during the run.
  usPerOp: number;
}

// A run of the plan, or one of the pair of runs of the load generator check.
export type RunPurpose = 'plan' | 'loadgen-check';

export interface RunResult {
  target: string;
  round: number;
  point: Point;
  purpose: RunPurpose;
  generatorCount: number;
  wallMs: number;
  ok: number;
  non2xx: number;
  errors: number;
  reqPerSecMedian: number;
  reqPerSecSamples: number[];
  latencyMsP50: number;
  latencyMsP99: number;
  latencySamplesDropped: number;
  roles: RoleCpu[];
  // Summed over the serving processes (not helpers such as the dev supervisor).
  serverUsPerOp: number;
  // The load generator processes: the busiest one's share of one core, and their CPU per operation.
  loadgenCpuPctOfCoreMax: number;
  loadgenUsPerOp: number;
  machineBusyPct: number;
  // Busy CPU of the machine not spent by the target, the generators or this runner (other
  // engineers' work on a shared machine; also kernel work outside any process).
  otherCpuPctOfMachine: number;
  // Changes of the target's protocol counters during the run.
  counters: Record<string, number>;
  notes: string[];
}

export interface RunContext {
  target: string;
  deployment: Deployment;
  round: number;
  point: Point;
  purpose: RunPurpose;
  generatorCount: number;
  warmupS: number;
  durationS: number;
  keyPrefix: string;
}

// Before a run starts, the target should have finished the work the previous one left (apply
// backlog, compaction), or that work is charged to this run. Idle, mrtom-kv's four processes use
// about 12% of one core together (timers, heartbeats); this is well above that and well below load.
const settledCpuPctOfCore = 30;
const settleWindowMs = 500;
const settleTimeoutMs = 20_000;

async function snapshot(pids: readonly number[]): Promise<(ProcessCpu | undefined)[]> {
  return Promise.all(pids.map(readProcessCpu));
}

// Waits until the serving processes together use less than settledCpuPctOfCore over one window;
// returns how long that took, or undefined if they never did before the timeout.
async function settle(deployment: Deployment): Promise<number | undefined> {
  const pids = (await deployment.roles()).filter((role) => role.isServer).map((role) => role.pid);
  const startedMs = performance.now();
  let before = await snapshot(pids);
  while (performance.now() - startedMs < settleTimeoutMs) {
    await sleep(settleWindowMs);
    const after = await snapshot(pids);
    const cpuMs = sum(pids.map((_, index) => cpuMsBetween(before[index], after[index])));
    if ((cpuMs / settleWindowMs) * 100 < settledCpuPctOfCore) return performance.now() - startedMs;
    before = after;
  }
  return undefined;
}

function cpuMsBetween(before: ProcessCpu | undefined, after: ProcessCpu | undefined): number {
  if (before === undefined || after === undefined || before.startTicks !== after.startTicks) return Number.NaN;
  return after.cpuMs - before.cpuMs;
}

async function countersOf(deployment: Deployment, notes: string[]): Promise<Record<string, number> | undefined> {
  try {
    return await deployment.counters();
  } catch (error) {
    notes.push(`protocol counters unavailable: ${(error as Error).message}`);
    return undefined;
  }
}

function counterChanges(before: Record<string, number> | undefined, after: Record<string, number> | undefined): Record<string, number> {
  const changes: Record<string, number> = {};
  if (before === undefined || after === undefined) return changes;
  for (const [name, value] of Object.entries(after)) changes[name] = value - (before[name] ?? Number.NaN);
  return changes;
}

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

export async function measureRun(context: RunContext): Promise<RunResult> {
  const { deployment, point } = context;
  const notes: string[] = [];
  const settledAfterMs = await settle(deployment);
  if (settledAfterMs === undefined)
    notes.push(`still busy ${settleTimeoutMs / 1000} s after the previous run: it may be charged some of that work`);
  const generators = await startGenerators(
    {
      target: context.target,
      origins: deployment.loadOrigins,
      connections: point.connections,
      warmupS: context.warmupS,
      durationS: context.durationS,
      workload: point.workload,
      valueBytes: point.valueBytes,
      keyPrefix: context.keyPrefix,
    },
    context.generatorCount,
  );
  try {
    await generators.warm();
    const countersBefore = await countersOf(deployment, notes);
    const roles = await deployment.roles();
    const pids = [...roles.map((role) => role.pid), ...generators.pids];
    const runnerBefore = process.cpuUsage();
    const machineBefore = await machineTimes();
    const startedMs = performance.now();
    const cpuBefore = await snapshot(pids);

    const results = await generators.measure();

    const cpuAfter = await snapshot(pids);
    const wallMs = performance.now() - startedMs;
    const machineAfter = await machineTimes();
    const runner = process.cpuUsage(runnerBefore);
    const countersAfter = await countersOf(deployment, notes);

    const cpuMs = pids.map((_, index) => cpuMsBetween(cpuBefore[index], cpuAfter[index]));
    const ok = sum(results.map((result) => result.ok));
    const roleCpus = roles.map((role, index) => ({ ...role, cpuMs: cpuMs[index]!, usPerOp: (cpuMs[index]! * 1000) / ok }));
    for (const role of roleCpus) if (Number.isNaN(role.cpuMs)) notes.push(`${role.role} restarted or exited during the run`);
    const loadgenCpuMs = cpuMs.slice(roles.length);

    const okPerSecond = results[0]!.okPerSecond.map((_, second) => sum(results.map((result) => result.okPerSecond[second] ?? 0)));
    const latencies = new Float64Array(sum(results.map((result) => result.latenciesMs.length)));
    let offset = 0;
    for (const result of results) {
      latencies.set(result.latenciesMs, offset);
      offset += result.latenciesMs.length;
    }
    latencies.sort();

    const machineBusyMs = machineAfter.busyMs - machineBefore.busyMs;
    const machineTotalMs = machineAfter.totalMs - machineBefore.totalMs;
    const ownCpuMs = sum(cpuMs.filter((value) => !Number.isNaN(value))) + (runner.user + runner.system) / 1000;
    return {
      target: context.target,
      round: context.round,
      point,
      purpose: context.purpose,
      generatorCount: context.generatorCount,
      wallMs,
      ok,
      non2xx: sum(results.map((result) => result.non2xx)),
      errors: sum(results.map((result) => result.errors)),
      reqPerSecMedian: median(okPerSecond),
      reqPerSecSamples: okPerSecond,
      latencyMsP50: percentile(latencies, 50),
      latencyMsP99: percentile(latencies, 99),
      latencySamplesDropped: sum(results.map((result) => result.latencySamplesDropped)),
      roles: roleCpus,
      serverUsPerOp: sum(roleCpus.filter((role) => role.isServer).map((role) => role.usPerOp)),
      loadgenCpuPctOfCoreMax: (Math.max(...loadgenCpuMs) / wallMs) * 100,
      loadgenUsPerOp: (sum(loadgenCpuMs) * 1000) / ok,
      machineBusyPct: (machineBusyMs / machineTotalMs) * 100,
      otherCpuPctOfMachine: ((machineBusyMs - ownCpuMs) / machineTotalMs) * 100,
      counters: counterChanges(countersBefore, countersAfter),
      notes,
    };
  } finally {
    await generators.stop();
  }
}
