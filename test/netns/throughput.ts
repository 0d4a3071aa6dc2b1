// Write throughput under loss as a share of loss-free throughput, and how the lost ORDERED datagrams
// were repaired. On this shared, busy machine a run's throughput drifts by 2x within minutes, so the
// loss levels alternate on one cluster — cycles of phases, each cycle in another order — and each level
// is the mean of its phases. Each phase counts what it lost and how the cluster repaired it (sequencer
// resends, RETRANSMIT requests, LOG_REQUESTs, NO-OPs of gap agreement). The run's history is then judged
// like any scenario's.
import { setTimeout } from 'node:timers/promises';
import { History } from '../sim/history.js';
import { Prng } from '../sim/prng.js';
import type { Cluster } from './cluster.js';
import type { RepairCounters } from './metrics.js';
import { CALM } from './netfilter.js';
import { emptyTally, type OpContext } from './operations.js';
import { judge } from './verdict.js';
import { Workload } from './workload.js';

/** A closed loop of writes on enough keys that each key's history stays short for the checker. */
const CLIENTS = 16;
const KEYS = 64;
const OPS_MAX = 1_000_000;

export interface LevelResult {
  lossPercent: number;
  writesPerSecond: number;
  orderedLost: number;
  repairs: RepairCounters;
}

export interface ThroughputResult {
  levels: LevelResult[];
  ops: { ok: number; failed: number; indeterminate: number };
  problems: string[];
}

function minus(after: RepairCounters, before: RepairCounters): RepairCounters {
  const diff = { ...after };
  for (const key of Object.keys(diff) as Array<keyof RepairCounters>) diff[key] = after[key] - before[key];
  return diff;
}

function plus(a: RepairCounters, b: RepairCounters): RepairCounters {
  const sum = { ...a };
  for (const key of Object.keys(sum) as Array<keyof RepairCounters>) sum[key] = a[key] + b[key];
  return sum;
}

export async function measureThroughput(
  cluster: Cluster,
  options: { lossPercents: readonly number[]; phaseSeconds: number; cycles: number; seed: number; log: (line: string) => void },
): Promise<ThroughputResult> {
  const startedAtMs = performance.now();
  const nowMs = () => performance.now() - startedAtMs;
  const history = new History();
  const tally = emptyTally();
  const context: OpContext = { history, tally, nowMs, nodeOf: (url) => cluster.nodeOf(url) };
  const workload = new Workload(
    {
      replicaUrls: cluster.urls,
      keys: Array.from({ length: KEYS }, (_, i) => `t/k${i}`),
      clients: CLIENTS,
      opsMax: OPS_MAX,
      thinkMsMax: 0,
      writeShare: 1,
      prng: new Prng(options.seed).fork('workload'),
    },
    context,
  );
  const levels = options.lossPercents.map((lossPercent) => ({
    lossPercent,
    seconds: 0,
    writes: 0,
    orderedLost: 0,
    repairs: null as RepairCounters | null,
  }));
  const problems: string[] = [];
  workload.start();
  try {
    // Unmeasured: a fresh cluster's first seconds (JIT warm-up, LevelDB's first compactions) would
    // count against whichever level came first.
    await setTimeout(options.phaseSeconds * 1_000);
    for (let cycle = 0; cycle < options.cycles; cycle++) {
      for (let i = 0; i < levels.length; i++) {
        const level = levels[(cycle + i) % levels.length]!;
        const link = { ...CALM, lossRate: level.lossPercent / 100 };
        cluster.network.pushLink(link);
        await cluster.network.apply();
        const [countsBefore, repairsBefore, fromMs] = [await cluster.network.counts(), await cluster.repairs(), nowMs()];
        await setTimeout(options.phaseSeconds * 1_000);
        const [countsAfter, repairsAfter, toMs] = [await cluster.network.counts(), await cluster.repairs(), nowMs()];
        cluster.network.popLink(link);
        await cluster.network.apply();
        const writes = history.ops.filter((op) => op.completeMs !== null && op.completeMs >= fromMs && op.completeMs < toMs).length;
        level.seconds += (toMs - fromMs) / 1_000;
        level.writes += writes;
        level.orderedLost += countsAfter.orderedLost - countsBefore.orderedLost;
        const repairs = minus(repairsAfter, repairsBefore);
        level.repairs = level.repairs === null ? repairs : plus(level.repairs, repairs);
        options.log(`cycle ${cycle + 1} loss ${level.lossPercent}%: ${((writes * 1000) / (toMs - fromMs)).toFixed(1)} writes/s`);
      }
    }
    await workload.stop();
    problems.push(...(await judge(cluster.urls, 1, history.ops, tally, options.log)));
  } catch (err) {
    problems.push(`the run broke off: ${(err as Error).stack ?? String(err)}`);
  } finally {
    await workload.stop();
  }
  // A run that broke off reports the levels it measured.
  const measured = levels.flatMap(({ lossPercent, seconds, writes, orderedLost, repairs }) =>
    repairs === null ? [] : [{ lossPercent, writesPerSecond: writes / seconds, orderedLost, repairs }],
  );
  return {
    levels: measured,
    ops: { ok: tally.ok, failed: tally.failed, indeterminate: tally.indeterminate },
    problems,
  };
}
