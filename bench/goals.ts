// The targets of issue M7, checked against one benchmark run: each is met or not by the medians
// of this run's repeated measurements, with the per-round range shown beside it. ("Goals" here,
// since "target" in the bench means a system under test.)
import { fixed, range, times } from './markdown.js';
import type { RunResult } from './measure.js';
import type { Point } from './plan.js';
import { etcdName, baselineName, mrtomKvName } from './targets/registry.js';
import { ratioOf, summarizePoint, type RatioMetric } from './summary.js';
import type { WorkloadName } from './workloads.js';

export interface GoalResult {
  goal: string;
  valueBytes: number;
  measured: string;
  status: 'met' | 'NOT met' | 'not measured';
}

const serverUsPerWriteMax = 200;

interface RatioGoal {
  goal: string;
  workload: WorkloadName;
  connections: number;
  reference: string;
  metric: RatioMetric;
  // The ratio mrtom-kv / reference must be at least this (higher is better) or at most it.
  bound: { atLeast: number } | { atMost: number };
}

const ratioGoals: readonly RatioGoal[] = [
  {
    goal: 'writes/s at 64 connections ≥ 2× etcd',
    workload: 'write',
    connections: 64,
    reference: etcdName,
    metric: 'reqPerSec',
    bound: { atLeast: 2 },
  },
  {
    goal: 'writes/s at 64 connections ≥ 0.5× baseline',
    workload: 'write',
    connections: 64,
    reference: baselineName,
    metric: 'reqPerSec',
    bound: { atLeast: 0.5 },
  },
  {
    goal: 'write p50 at 1 connection ≤ 2× baseline',
    workload: 'write',
    connections: 1,
    reference: baselineName,
    metric: 'latencyMsP50',
    bound: { atMost: 2 },
  },
  {
    goal: 'linearizable reads/s at 64 connections ≥ etcd linearizable',
    workload: 'read-linearizable',
    connections: 64,
    reference: etcdName,
    metric: 'reqPerSec',
    bound: { atLeast: 1 },
  },
  {
    goal: 'stale reads/s at 64 connections ≥ 0.8× baseline GET',
    workload: 'read-stale',
    connections: 64,
    reference: baselineName,
    metric: 'reqPerSec',
    bound: { atLeast: 0.8 },
  },
];

function checkRatio(goal: RatioGoal, valueBytes: number, runs: readonly RunResult[]): GoalResult {
  const point: Point = { workload: goal.workload, valueBytes, connections: goal.connections };
  const subject = summarizePoint(mrtomKvName, point, runs);
  const reference = summarizePoint(goal.reference, point, runs);
  if (subject === undefined || reference === undefined) return { goal: goal.goal, valueBytes, measured: '-', status: 'not measured' };
  const ratio = ratioOf(subject, reference, goal.metric, runs);
  const isMet = 'atLeast' in goal.bound ? ratio.ofMedians >= goal.bound.atLeast : ratio.ofMedians <= goal.bound.atMost;
  return {
    goal: goal.goal,
    valueBytes,
    measured: `${times(ratio.ofMedians)} (rounds ${range(ratio.perRoundMin, ratio.perRoundMax, (value) => value.toFixed(2))})`,
    status: Number.isNaN(ratio.ofMedians) ? 'not measured' : isMet ? 'met' : 'NOT met',
  };
}

function checkCpu(valueBytes: number, runs: readonly RunResult[]): GoalResult {
  const goal = `CPU per committed write at 64 connections ≤ ${serverUsPerWriteMax} µs, sequencer + replicas`;
  const summary = summarizePoint(mrtomKvName, { workload: 'write', valueBytes, connections: 64 }, runs);
  if (summary === undefined || Number.isNaN(summary.serverUsPerOp.median))
    return { goal, valueBytes, measured: '-', status: 'not measured' };
  const { median, min, max } = summary.serverUsPerOp;
  return {
    goal,
    valueBytes,
    measured: `${fixed(median, 0)} µs (${range(min, max, (value) => fixed(value, 0))})`,
    status: median <= serverUsPerWriteMax ? 'met' : 'NOT met',
  };
}

export function checkGoals(valueSizes: readonly number[], runs: readonly RunResult[]): GoalResult[] {
  return valueSizes.flatMap((valueBytes) => [...ratioGoals.map((goal) => checkRatio(goal, valueBytes, runs)), checkCpu(valueBytes, runs)]);
}
