// How the bench knows the load generator is not what limits a target: besides each generator's
// CPU share of one core, the busiest point of each target is measured again in every round twice
// in a row, once with one generator process and once with its connections split over two. If one
// generator were the bottleneck, two would deliver clearly more; the same rate means the target
// (or the shared machine) is the limit. The pair runs back to back, in alternating order from
// round to round, because a deployment's throughput drifts over time (warm-up, data growth) by
// as much as the effect looked for; and a pair during which the rest of the machine's load changed
// much (other engineers' work on a shared box) says nothing, so it is shown but not counted.
import type { RunResult } from './measure.js';
import type { Point } from './plan.js';
import { times } from './markdown.js';
import { median } from './stats.js';

export const checkGeneratorCount = 2;
// Two generators more than this much faster than one: the single generator was a limit.
const generatorLimitRatio = 1.1;
// Percentage points of the machine: a pair whose other-CPU share differs more is disturbed.
const otherCpuPctDiffMax = 10;

export interface CheckPair {
  round: number;
  // Two generators' req/s over one generator's.
  ratio: number;
  otherCpuPctDiff: number;
  isDisturbed: boolean;
}

export interface LoadgenCheck {
  target: string;
  point: Point;
  pairs: CheckPair[];
  // Over the undisturbed pairs; NaN when there is none.
  median: number;
  verdict: 'generator is not the limit' | 'generator LIMITED this point' | 'inconclusive';
}

// The point with the highest request rate among those that can be split (two connections or more).
export function checkPointOf(runs: readonly RunResult[]): Point | undefined {
  const splittable = runs.filter((run) => run.point.connections >= checkGeneratorCount);
  if (splittable.length === 0) return undefined;
  return splittable.reduce((best, run) => (run.reqPerSecMedian > best.reqPerSecMedian ? run : best)).point;
}

// Which generator count runs first in a round's pair.
export function checkOrderOf(round: number): number[] {
  return round % 2 === 1 ? [checkGeneratorCount, 1] : [1, checkGeneratorCount];
}

export function summarizeCheck(target: string, runs: readonly RunResult[]): LoadgenCheck | undefined {
  const checks = runs.filter((run) => run.target === target && run.purpose === 'loadgen-check');
  const split = checks.filter((run) => run.generatorCount === checkGeneratorCount);
  const first = split[0];
  if (first === undefined) return undefined;
  const pairs = split.flatMap((check) => {
    const single = checks.find((run) => run.generatorCount === 1 && run.round === check.round);
    if (single === undefined) return [];
    const otherCpuPctDiff = Math.abs(check.otherCpuPctOfMachine - single.otherCpuPctOfMachine);
    return [
      {
        round: check.round,
        ratio: check.reqPerSecMedian / single.reqPerSecMedian,
        otherCpuPctDiff,
        isDisturbed: otherCpuPctDiff > otherCpuPctDiffMax,
      },
    ];
  });
  const ratio = median(pairs.filter((pair) => !pair.isDisturbed).map((pair) => pair.ratio));
  const verdict = Number.isNaN(ratio)
    ? 'inconclusive'
    : ratio > generatorLimitRatio
      ? 'generator LIMITED this point'
      : 'generator is not the limit';
  return { target, point: first.point, pairs, median: ratio, verdict };
}

const verdictExplanations: Record<LoadgenCheck['verdict'], string> = {
  'generator is not the limit': `two generators were not more than ${Math.round((generatorLimitRatio - 1) * 100)}% faster than one`,
  'generator LIMITED this point': 'two generators were faster: read this point of this target as a lower bound',
  inconclusive: `the machine's other load changed by more than ${otherCpuPctDiffMax} points of CPU during every pair`,
};

export function describeCheck(check: LoadgenCheck): string {
  const rounds = check.pairs
    .map(
      (pair) =>
        `${times(pair.ratio)}${pair.isDisturbed ? ` (not counted: other CPU moved ${pair.otherCpuPctDiff.toFixed(0)} points)` : ''}`,
    )
    .join(', ');
  return `${check.target}: 2 generators / 1 = ${times(check.median)} (rounds: ${rounds}): ${check.verdict}; ${verdictExplanations[check.verdict]}`;
}
