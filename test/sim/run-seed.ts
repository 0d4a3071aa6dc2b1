// One simulated run from one seed: build the world, run it until the workload is done and every replica
// caught up (or the time limit, or a failure), then check liveness, linearizability and stale reads.
// Invariants are checked as the run goes. The same seed and options always give the same run, so a
// failure replays exactly.
import type { Durability } from '../../src/config/cluster.js';
import { Cluster, type SimFailure } from './cluster.js';
import { describeConfig, generateConfig } from './config.js';
import { describeAction } from './faults.js';
import { describeOp } from './history.js';
import { checkLinearizable } from './linearizability.js';
import { checkLiveness } from './liveness.js';
import type { Mutation } from './mutations.js';
import type { Network } from './network.js';
import { Prng } from './prng.js';
import { checkStaleReads } from './stale-reads.js';
import { Tracer } from './trace.js';

export interface RunOptions {
  /** Keep a readable event trace in the result. */
  trace?: boolean;
  /** Also stream trace lines as they happen (implies trace). */
  onTraceLine?: (line: string) => void;
  /** A deliberate bug (mutations.ts), to prove the checkers catch it. */
  mutation?: Mutation | null;
  durability?: Durability;
}

export type { FailureKind, SimFailure } from './cluster.js';

export interface SeedResult {
  seed: number;
  ok: boolean;
  failure: SimFailure | null;
  /** Scheduler events run: the measure of work. */
  events: number;
  simulatedMs: number;
  ops: { invoked: number; completed: number; unknown: number; staleReads: number; pastReads: number; unjudgedReads: number };
  /** Revisions no watch delivered (compaction skipped them on every node). */
  unknownRevisions: number;
  /** Slots applied by some replica, and how many of them are NO-OPs. */
  slots: { applied: number; noops: number };
  network: Network['stats'];
  config: string;
  trace: readonly string[] | null;
}

export async function runSeed(seed: number, options: RunOptions = {}): Promise<SeedResult> {
  const prng = new Prng(seed);
  const config = generateConfig(prng.fork('config'), options.durability === undefined ? {} : { durability: options.durability });
  const tracing = options.trace === true || options.onTraceLine !== undefined;
  const tracer = new Tracer(tracing, options.onTraceLine ?? null);
  tracer.event(0, 'sim', () => `seed ${seed}: ${describeConfig(config)}`);
  for (const action of config.faults.actions) tracer.event(0, 'sim', () => `plan @${action.atMs.toFixed(1)} ms: ${describeAction(action)}`);

  const cluster = new Cluster(config, prng.fork('cluster'), tracer, options.mutation ?? null);
  const { scheduler } = cluster;
  // A promise the production code dropped without handling is a bug of the run, not of the test process.
  const onUnhandled = (reason: unknown): void =>
    cluster.fail(reason instanceof Error ? reason : new Error(String(reason)), 'unhandled rejection');
  process.on('unhandledRejection', onUnhandled);
  try {
    cluster.start();
    await scheduler.runUntil(
      config.endMs,
      () => cluster.failure !== null || (scheduler.nowMs >= config.quietStartMs && cluster.clientsFinished() && cluster.replicasCaughtUp()),
    );
  } catch (err) {
    cluster.fail(err as Error, 'simulator');
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
  const failure = cluster.failure ?? (await checkRun(cluster, scheduler.nowMs));
  if (failure !== null && cluster.failure === null)
    tracer.event(scheduler.nowMs, 'sim', () => `FAILURE (${failure.kind}): ${failure.message}`);

  const ops = cluster.history.ops;
  return {
    seed,
    ok: failure === null,
    failure,
    events: scheduler.eventsRun,
    simulatedMs: scheduler.nowMs,
    ops: {
      invoked: ops.length,
      completed: ops.filter((op) => op.completeMs !== null).length,
      unknown: ops.filter((op) => op.completeMs === null).length,
      staleReads: cluster.staleReads.reads.length,
      pastReads: cluster.staleReads.pastReads.length,
      unjudgedReads: cluster.staleReads.unjudged,
    },
    unknownRevisions: cluster.revisionLog.unknownRevisions(),
    slots: { applied: cluster.invariants.slotsApplied(), noops: cluster.invariants.noopSlots() },
    network: { ...cluster.network.stats },
    config: describeConfig(config),
    trace: tracing ? tracer.collected : null,
  };
}

/** The checks made once the run is over: linearizability and stale reads, then liveness — a safety
 *  failure is reported even when the run also got stuck (a bug often causes both). */
async function checkRun(cluster: Cluster, endMs: number): Promise<SimFailure | null> {
  const { config, scheduler, invariants } = cluster;
  const lagging = cluster.replicas
    .filter((replica) => replica.soft() === null || invariants.lastApplied(replica.id) < invariants.slotsApplied())
    .map(
      (replica) => `${replica.name} applied ${invariants.lastApplied(replica.id)} of ${invariants.slotsApplied()} (${replica.describe()})`,
    );
  const stuck = checkLiveness({
    ops: cluster.history.ops,
    refusalsMs: cluster.clients.flatMap((client) => client.refusals),
    quietStartMs: config.quietStartMs,
    livenessBoundMs: config.livenessBoundMs,
    endMs,
    laggingReplicas: scheduler.nowMs >= config.endMs ? lagging : [],
  });
  const liveness: SimFailure | null = stuck === null ? null : { kind: 'liveness', message: stuck, atMs: endMs };

  const watchesStuck = await cluster.watchesCaughtUp();
  if (watchesStuck !== null) return liveness ?? { kind: 'liveness', message: watchesStuck, atMs: endMs };
  if (cluster.failure !== null) return cluster.failure; // A watch went wrong while catching up.
  cluster.addRevokes();
  const check = checkLinearizable(cluster.history.ops);
  if (!check.ok) {
    const message =
      check.kind === 'inconclusive'
        ? `linearizability check of key ${check.key} gave up after ${check.steps} steps`
        : [
            `history of key ${check.key} is not linearizable; longest linearizable prefix (${check.longestPrefix.length} ops):`,
            ...check.longestPrefix.map((op) => `  ${describeOp(op)}`),
            'could not be placed after it:',
            ...check.unplaced.map((op) => `  ${describeOp(op)}`),
          ].join('\n');
    return { kind: 'linearizability', message, atMs: endMs };
  }
  const stale = checkStaleReads(cluster.staleReads, cluster.history.ops, cluster.revisionLog);
  return stale === null ? liveness : { kind: 'stale-read', message: stale, atMs: endMs };
}

/** The command that replays a seed with its trace. */
export function replayCommand(seed: number, options: RunOptions = {}): string {
  const extra = [
    options.mutation ? ` --mutation ${options.mutation}` : '',
    options.durability ? ` --durability ${options.durability}` : '',
  ].join('');
  return `npm run sim -- --seed ${seed} --trace${extra}`;
}
