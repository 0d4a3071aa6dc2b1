// One scenario on a running cluster, from its first operation to its verdict: the workload on keys of
// its own, the fault schedule, every fault healed, then recovery (every replica serves writes again
// within the bound, every process is up), the checks of verdict.ts, and no process died that the
// nemesis did not kill. Runs inside the client namespace. Whatever breaks, the faults are healed and
// the workload stopped before it returns; the cluster is left running for the caller to reuse or stop.
import { History } from '../sim/history.js';
import { Prng } from '../sim/prng.js';
import { clusterStatus } from '../../src/client/cluster-status.js';
import type { Cluster } from './cluster.js';
import { describeFault, type ScheduledFault } from './faults.js';
import type { Effects } from './effects.js';
import type { RepairCounters } from './metrics.js';
import { Nemesis } from './nemesis.js';
import { emptyTally, type OpContext } from './operations.js';
import { measureRecovery } from './recovery.js';
import type { Mode, Scenario } from './scenarios.js';
import { judge } from './verdict.js';
import { Workload } from './workload.js';

/** Liveness bounds, not performance targets: far above what a healthy cluster needs, so only "stuck" fails. */
const RECOVERY_BOUND_MS = 30_000;
/** A schedule that has not ended this long after its last fault was due is cut off (a hung fault action). */
const SCHEDULE_OVERRUN_MS_MAX = 60_000;
/** The workload keeps going this long after every replica recovered, so the history covers the healed cluster. */
const TAIL_MS: Record<Mode, number> = { short: 800, long: 3_000 };
/** Operations a run invokes at most (the workload also stops when the run does). */
const OPS_MAX = 200_000;
/** Few clients on few keys (docs/background.md §4.2): contention for the checker, histories it finishes. */
const WORKLOAD = { clients: 6, keys: 4, thinkMsMax: 20, writeShare: 0.6 } as const;

export interface ScenarioResult {
  scenario: string;
  mode: Mode;
  seed: number;
  ok: boolean;
  problems: string[];
  ops: { ok: number; failed: number; indeterminate: number };
  /** Why ops failed or ended unknown: error code → count. */
  codes: Record<string, number>;
  /** From the last heal to the slowest replica's first acknowledged write; null: not within the bound. */
  recoveryMs: number | null;
  /** What the faults did (frames lost, blocked, delayed, duplicated; views and sessions before and after). */
  effects: Effects | null;
  repairs: RepairCounters | null;
  durationMs: number;
  schedule: ScheduledFault[];
  history: History;
}

export interface RunScenarioOptions {
  cluster: Cluster;
  scenario: Scenario;
  mode: Mode;
  seed: number;
  /** Every key of this run starts with it, so runs sharing a cluster never see each other's keys. */
  keyPrefix: string;
  /** One line per event (faults, phases). */
  log: (line: string) => void;
}

export async function runScenario(options: RunScenarioOptions): Promise<ScenarioResult> {
  const { cluster, scenario, mode, seed } = options;
  const prng = new Prng(seed);
  const startedAtMs = performance.now();
  const nowMs = () => performance.now() - startedAtMs;
  const log = (line: string) => options.log(`+${(nowMs() / 1000).toFixed(3)}s ${line}`);
  const schedule = scenario.schedule(prng.fork('schedule'), mode);
  const history = new History();
  const tally = emptyTally();
  const context: OpContext = { history, tally, nowMs, nodeOf: (url) => cluster.nodeOf(url) };
  const workload = new Workload(
    {
      replicaUrls: cluster.urls,
      keys: Array.from({ length: WORKLOAD.keys }, (_, i) => `${options.keyPrefix}k${i}`),
      clients: WORKLOAD.clients,
      opsMax: OPS_MAX,
      thinkMsMax: WORKLOAD.thinkMsMax,
      writeShare: WORKLOAD.writeShare,
      prng: prng.fork('workload'),
    },
    context,
  );
  const nemesis = new Nemesis({
    members: cluster.topology.members.map((m) => m.name),
    network: cluster.network,
    processes: cluster.processes,
    roles: () => cluster.roles(),
    prng: prng.fork('targets'),
    log,
  });
  const problems: string[] = [];
  let recoveryMs: number | null = null;
  let effects: Effects | null = null;
  let repairs: RepairCounters | null = null;

  try {
    const fromRevision = 1 + Math.min(...(await clusterStatus(cluster.urls, AbortSignal.timeout(5_000))).map((r) => r.node?.revision ?? 0));
    const countsBefore = await cluster.network.counts();
    const repairsBefore = await cluster.repairs();
    const rolesBefore = await cluster.roles();
    log(`schedule: ${schedule.map((s) => `${describeFault(s.fault)} at ${s.atMs} ms for ${s.durationMs} ms`).join('; ')}`);
    const workloadStartMs = nowMs();
    workload.start();
    try {
      const overrun = AbortSignal.timeout(Math.max(0, ...schedule.map((s) => s.atMs + s.durationMs)) + SCHEDULE_OVERRUN_MS_MAX);
      await nemesis.runSchedule(schedule, () => nowMs() - workloadStartMs, overrun);
    } finally {
      await nemesis.healAll();
    }
    const healedAtMs = nowMs();
    const countsAfter = await cluster.network.counts();
    log('every fault healed; measuring recovery');

    const recovery = await measureRecovery(context, cluster.urls, `${options.keyPrefix}probe/`, healedAtMs, RECOVERY_BOUND_MS);
    recoveryMs = recovery.worstMs;
    const perReplica = [...recovery.byReplica].map(([url, ms]) => `${url} ${ms === null ? 'never' : `${Math.round(ms)} ms`}`).join(', ');
    log(`recovery: ${perReplica}`);
    if (recoveryMs === null) problems.push(`not every replica served a write within ${RECOVERY_BOUND_MS} ms of the heal: ${perReplica}`);
    if (!(await cluster.allLive(RECOVERY_BOUND_MS))) problems.push(`not every process was up within ${RECOVERY_BOUND_MS} ms of the heal`);
    await new Promise((resolve) => setTimeout(resolve, TAIL_MS[mode]));
    await workload.stop();
    repairs = await cluster.repairs();
    effects = {
      orderedLost: countsAfter.orderedLost - countsBefore.orderedLost,
      framesBlocked: countsAfter.framesBlocked - countsBefore.framesBlocked,
      framesDelayed: countsAfter.framesDelayed - countsBefore.framesDelayed,
      // Counters of a restarted process start again from zero: a difference is a lower bound.
      duplicatesReceived: Math.max(0, repairs.duplicatesReceived - repairsBefore.duplicatesReceived),
      before: rolesBefore,
      after: await cluster.roles(),
    };
    const missing = scenario.effect?.(mode)(effects);
    if (missing) problems.push(`the faults left no trace: ${missing}`);
    problems.push(...(await judge(cluster.urls, fromRevision, history.ops, tally, log)));
  } catch (err) {
    problems.push(`the run broke off: ${(err as Error).stack ?? String(err)}`);
  } finally {
    await workload.stop();
  }
  problems.push(...cluster.network.problems.splice(0), ...(await cluster.crashesSince()));
  return {
    scenario: scenario.name,
    mode,
    seed,
    ok: problems.length === 0,
    problems,
    ops: { ok: tally.ok, failed: tally.failed, indeterminate: tally.indeterminate },
    codes: Object.fromEntries(tally.codes),
    recoveryMs,
    effects,
    repairs,
    durationMs: nowMs(),
    schedule,
    history,
  };
}
