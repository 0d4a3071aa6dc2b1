// One round on one deployed target: a warm-up of the fresh deployment, every point of the plan
// once (seeding the keys reads need before the first run that reads them), then the load
// generator check's pair of runs.
import { warmUp } from './generators.js';
import { checkOrderOf, checkPointOf } from './loadgen-check.js';
import { measureRun, type RunPurpose, type RunResult } from './measure.js';
import { pointKey, type Point } from './plan.js';
import { seedKeys } from './seed.js';
import type { Deployment, Target } from './targets/target.js';
import { workloads } from './workloads.js';

// The deployment warm-up: writes at a concurrency that exercises every path of every target.
const deployWarmupConnections = 64;

export interface RoundSettings {
  // Makes keys unique across benchmark runs as well as within one.
  runId: string;
  plan: readonly Point[];
  warmupS: number;
  durationS: number;
  deployWarmupS: number;
  loadgenCheck: boolean;
}

export interface Round {
  target: Target;
  deployment: Deployment;
  number: number;
  // The point the load generator check repeats (the busiest of the first round); chosen from this
  // round's runs when undefined.
  checkPoint: Point | undefined;
  // Every run as it completes.
  onRun(run: RunResult): void;
}

export async function runRound(round: Round, settings: RoundSettings): Promise<void> {
  const { target, deployment } = round;
  const keyPrefix = `bench-${settings.runId}/r${round.number}`;
  const seeded = new Set<number>();
  const measure = async (point: Point, purpose: RunPurpose, generatorCount: number): Promise<RunResult> => {
    if (workloads[point.workload].usesSeedKeys && !seeded.has(point.valueBytes)) {
      await seedKeys(target.api, deployment, point.valueBytes);
      seeded.add(point.valueBytes);
    }
    const run = await measureRun({
      target: target.name,
      deployment,
      round: round.number,
      point,
      purpose,
      generatorCount,
      warmupS: settings.warmupS,
      durationS: settings.durationS,
      keyPrefix: `${keyPrefix}/${pointKey(point)}/${purpose}-g${generatorCount}`,
    });
    round.onRun(run);
    return run;
  };

  if (settings.deployWarmupS > 0) {
    await warmUp({
      target: target.name,
      origins: deployment.loadOrigins,
      connections: deployWarmupConnections,
      warmupS: settings.deployWarmupS,
      durationS: 0,
      workload: 'write',
      valueBytes: settings.plan[0]!.valueBytes,
      keyPrefix: `${keyPrefix}/deploy-warmup`,
    });
  }
  const runs: RunResult[] = [];
  for (const point of settings.plan) runs.push(await measure(point, 'plan', 1));
  const checkPoint = settings.loadgenCheck ? (round.checkPoint ?? checkPointOf(runs)) : undefined;
  if (checkPoint !== undefined) {
    for (const generatorCount of checkOrderOf(round.number)) await measure(checkPoint, 'loadgen-check', generatorCount);
  }
}
