// Everything one benchmark run found, as saved to report.json and formatted for people: the raw
// runs, their per-point summaries, the goals and the load generator check.
import { checkGoals, type GoalResult } from './goals.js';
import { summarizeCheck, type LoadgenCheck } from './loadgen-check.js';
import type { MachineInfo } from './machine.js';
import type { RunResult } from './measure.js';
import type { Point } from './plan.js';
import { summarizePoint, type PointSummary } from './summary.js';

export interface TargetOutcome {
  target: string;
  status: 'ran' | 'skipped' | 'failed';
  // Why the target was skipped or failed; the runs it completed before a failure are kept.
  reason?: string;
  loadOrigins: number;
}

export interface RunSettings {
  command: string;
  runs: number;
  warmupS: number;
  durationS: number;
  deployWarmupS: number;
  loadgenCheck: boolean;
  plan: Point[];
}

export interface BenchReport {
  startedAt: string;
  elapsedS: number;
  machine: MachineInfo;
  settings: RunSettings;
  targets: TargetOutcome[];
  summaries: PointSummary[];
  goals: GoalResult[];
  loadgenChecks: LoadgenCheck[];
  runs: RunResult[];
}

export interface RawRun {
  startedAt: Date;
  machine: MachineInfo;
  settings: RunSettings;
  targets: TargetOutcome[];
  runs: RunResult[];
}

export function buildReport(raw: RawRun): BenchReport {
  const { settings, targets, runs } = raw;
  const summaries = settings.plan.flatMap((point) =>
    targets.flatMap((outcome) => {
      const summary = summarizePoint(outcome.target, point, runs);
      return summary === undefined ? [] : [summary];
    }),
  );
  const valueSizes = [...new Set(settings.plan.map((point) => point.valueBytes))].sort((a, b) => a - b);
  return {
    startedAt: raw.startedAt.toISOString(),
    elapsedS: Math.round((Date.now() - raw.startedAt.getTime()) / 1000),
    machine: raw.machine,
    settings,
    targets,
    summaries,
    goals: checkGoals(valueSizes, runs),
    loadgenChecks: targets.flatMap((outcome) => summarizeCheck(outcome.target, runs) ?? []),
    runs,
  };
}
