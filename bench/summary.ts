// Folds the repeated runs of each point on each target into medians with their range, and pairs
// two targets' runs of the same point round by round for ratios.
import type { RunResult } from './measure.js';
import { isSamePoint, type Point } from './plan.js';
import { spreadOf, type Spread } from './stats.js';

export interface RoleSummary {
  role: string;
  isServer: boolean;
  // In how many of the runs this process was the leader.
  leaderRuns: number;
  usPerOp: Spread;
}

export interface PointSummary {
  target: string;
  point: Point;
  runs: number;
  reqPerSec: Spread;
  latencyMsP50: Spread;
  latencyMsP99: Spread;
  serverUsPerOp: Spread;
  roles: RoleSummary[];
  loadgenCpuPctOfCoreMax: Spread;
  loadgenUsPerOp: Spread;
  otherCpuPctOfMachine: Spread;
  // Protocol counters per operation (e.g. log entries per op), median over runs.
  countersPerOp: Record<string, Spread>;
  // The same counters' changes added over every run.
  counterTotals: Record<string, number>;
  failures: number;
  notes: string[];
}

export interface Ratio {
  // Of the two medians, which is what the tables show side by side.
  ofMedians: number;
  // Of the two targets' runs in the same round, lowest and highest.
  perRoundMin: number;
  perRoundMax: number;
}

function spreadBy(runs: readonly RunResult[], metric: (run: RunResult) => number): Spread {
  return spreadOf(runs.map(metric));
}

function summarizeRoles(runs: readonly RunResult[]): RoleSummary[] {
  const names = [...new Set(runs.flatMap((run) => run.roles.map((role) => role.role)))];
  return names.map((name) => {
    const roles = runs.flatMap((run) => run.roles.filter((role) => role.role === name));
    return {
      role: name,
      isServer: roles.some((role) => role.isServer),
      leaderRuns: roles.filter((role) => role.isLeader).length,
      usPerOp: spreadOf(roles.map((role) => role.usPerOp)),
    };
  });
}

// The runs of the plan at a point; the load generator check's runs are kept apart.
function runsAt(target: string, point: Point, allRuns: readonly RunResult[]): RunResult[] {
  return allRuns.filter((run) => run.target === target && run.purpose === 'plan' && isSamePoint(run.point, point));
}

export function summarizePoint(target: string, point: Point, allRuns: readonly RunResult[]): PointSummary | undefined {
  const runs = runsAt(target, point, allRuns);
  if (runs.length === 0) return undefined;
  const counterNames = [...new Set(runs.flatMap((run) => Object.keys(run.counters)))];
  return {
    target,
    point,
    runs: runs.length,
    reqPerSec: spreadBy(runs, (run) => run.reqPerSecMedian),
    latencyMsP50: spreadBy(runs, (run) => run.latencyMsP50),
    latencyMsP99: spreadBy(runs, (run) => run.latencyMsP99),
    serverUsPerOp: spreadBy(runs, (run) => run.serverUsPerOp),
    roles: summarizeRoles(runs),
    loadgenCpuPctOfCoreMax: spreadBy(runs, (run) => run.loadgenCpuPctOfCoreMax),
    loadgenUsPerOp: spreadBy(runs, (run) => run.loadgenUsPerOp),
    otherCpuPctOfMachine: spreadBy(runs, (run) => run.otherCpuPctOfMachine),
    countersPerOp: Object.fromEntries(
      counterNames.map((name) => [name, spreadBy(runs, (run) => (run.counters[name] ?? Number.NaN) / run.ok)]),
    ),
    counterTotals: Object.fromEntries(
      counterNames.map((name) => [name, runs.reduce((total, run) => total + (run.counters[name] ?? Number.NaN), 0)]),
    ),
    failures: runs.reduce((total, run) => total + run.non2xx + run.errors, 0),
    notes: [...new Set(runs.flatMap((run) => run.notes))],
  };
}

// The metrics compared across targets, each as one run reports it.
const runMetrics = {
  reqPerSec: (run: RunResult) => run.reqPerSecMedian,
  latencyMsP50: (run: RunResult) => run.latencyMsP50,
  latencyMsP99: (run: RunResult) => run.latencyMsP99,
  serverUsPerOp: (run: RunResult) => run.serverUsPerOp,
} as const;
export type RatioMetric = keyof typeof runMetrics;

export function ratioOf(subject: PointSummary, reference: PointSummary, metric: RatioMetric, allRuns: readonly RunResult[]): Ratio {
  const ofRun = runMetrics[metric];
  const referenceRuns = runsAt(reference.target, reference.point, allRuns);
  const perRound = runsAt(subject.target, subject.point, allRuns).flatMap((run) => {
    const paired = referenceRuns.find((candidate) => candidate.round === run.round);
    return paired === undefined ? [] : [ofRun(run) / ofRun(paired)];
  });
  const range = spreadOf(perRound);
  return { ofMedians: subject[metric].median / reference[metric].median, perRoundMin: range.min, perRoundMax: range.max };
}
