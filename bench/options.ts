// The runner's command line, and the plan it asks for. With no list flag the plan is the default
// subset (plan.ts); --full is everything; --workloads, --value-bytes and --connections give a
// cross product, a list not given being the full one with --full and one quick value without.
import { Command } from 'commander';
import { integerIn, listOf, oneOf } from './flags.js';
import {
  crossPlan,
  defaultPlan,
  fullConnections,
  fullPlan,
  fullValueBytes,
  quickConnections,
  quickWorkloads,
  referenceValueBytes,
  runOrder,
  type Point,
} from './plan.js';
import { targets } from './targets/registry.js';
import { workloadNames, type WorkloadName } from './workloads.js';

const durationSMax = 600;
const warmupSMax = 60;
const runsMax = 20;
const connectionsMax = 1_024;
const listItemsMax = 16;
// Half of the baseline's 1 MiB body limit, leaving room for etcd's base64-in-JSON encoding.
const valueBytesMax = 512 * 1024;

export interface BenchOptions {
  targets: string[];
  plan: Point[];
  runs: number;
  durationS: number;
  warmupS: number;
  deployWarmupS: number;
  loadgenCheck: boolean;
}

interface Flags {
  targets: string[];
  workloads?: WorkloadName[];
  valueBytes?: number[];
  connections?: number[];
  full: boolean;
  runs: number;
  duration: number;
  warmup: number;
  deployWarmup: number;
  loadgenCheck: boolean;
}

export function parseOptions(argv: readonly string[]): BenchOptions {
  const targetNames = targets.map((target) => target.name);
  const flags = new Command()
    .name('npm run bench --')
    .description('Side-by-side benchmark: mrtom-kv dev cluster vs 3-member etcd vs unreplicated Fastify+LevelDB, in one run')
    .option(
      '--targets <list>',
      `comma-separated, from ${targetNames.join(',')}`,
      listOf(oneOf(targetNames), targetNames.length),
      targetNames,
    )
    .option('--workloads <list>', `comma-separated, from ${workloadNames.join(',')}`, listOf(oneOf(workloadNames), workloadNames.length))
    .option(
      '--value-bytes <list>',
      `comma-separated value sizes (full: ${fullValueBytes.join(',')})`,
      listOf(integerIn(1, valueBytesMax), listItemsMax),
    )
    .option(
      '--connections <list>',
      `comma-separated (full: ${fullConnections.join(',')})`,
      listOf(integerIn(1, connectionsMax), listItemsMax),
    )
    .option('--full', 'every workload, value size and connection count', false)
    .option('--runs <n>', 'runs of each point (rounds)', integerIn(1, runsMax), 3)
    .option('--duration <s>', 'measured seconds per run', integerIn(1, durationSMax), 5)
    .option('--warmup <s>', 'warm-up seconds before each run', integerIn(0, warmupSMax), 2)
    .option('--deploy-warmup <s>', 'seconds of writes on each fresh deployment before its first run', integerIn(0, warmupSMax), 10)
    .option('--no-loadgen-check', 'skip re-running the busiest point with two load generators')
    .parse(argv, { from: 'user' })
    .opts<Flags>();
  const isCrossPlan = flags.workloads !== undefined || flags.valueBytes !== undefined || flags.connections !== undefined;
  const plan = isCrossPlan
    ? crossPlan(
        flags.workloads ?? (flags.full ? [...workloadNames] : quickWorkloads),
        flags.valueBytes ?? (flags.full ? fullValueBytes : [referenceValueBytes]),
        flags.connections ?? (flags.full ? fullConnections : quickConnections),
      )
    : flags.full
      ? fullPlan
      : defaultPlan;
  return {
    targets: targetNames.filter((name) => flags.targets.includes(name)),
    plan: runOrder(plan),
    runs: flags.runs,
    durationS: flags.duration,
    warmupS: flags.warmup,
    deployWarmupS: flags.deployWarmup,
    loadgenCheck: flags.loadgenCheck,
  };
}
