// One simulated run from one seed: build the world, run it until the workload is done and every replica
// caught up (or the time limit), then check liveness and linearizability. Invariants are checked as the
// run goes. The same seed and options always give the same run, so a failure replays exactly.
import type { Durability } from '../../src/config/cluster.js';
import { Cluster, type SimTamper } from './cluster.js';
import { describeConfig, generateConfig } from './config.js';
import { describeAction } from './faults.js';
import { describeOp } from './history.js';
import { InvariantViolation } from './invariants.js';
import { checkLinearizable } from './linearizability.js';
import { checkLiveness } from './liveness.js';
import type { Network } from './network.js';
import { Prng } from './prng.js';
import type { UnsafeBreak } from './replica-adapter.js';
import { Tracer } from './trace.js';

export type SimBreak = UnsafeBreak | SimTamper;

export interface RunOptions {
  /** Keep a readable event trace in the result. */
  trace?: boolean;
  /** Also stream trace lines as they happen (implies trace). */
  onTraceLine?: (line: string) => void;
  /** A deliberate bug, to prove the checkers catch it. */
  break?: SimBreak | null;
  durability?: Durability;
}

export type FailureKind = 'invariant' | 'exception' | 'liveness' | 'linearizability';

export interface SimFailure {
  kind: FailureKind;
  message: string;
  atMs: number;
}

export interface SeedResult {
  seed: number;
  ok: boolean;
  failure: SimFailure | null;
  /** Scheduler events run: the measure of work. */
  events: number;
  simulatedMs: number;
  ops: { invoked: number; completed: number; unknown: number };
  /** Slots applied by some replica, and how many of them are NO-OPs. */
  slots: { applied: number; noops: number };
  network: Network['stats'];
  config: string;
  trace: readonly string[] | null;
}

export function runSeed(seed: number, options: RunOptions = {}): SeedResult {
  const prng = new Prng(seed);
  const simBreak = options.break ?? null;
  const config = generateConfig(prng.fork('config'), {
    unsafeBreak: simBreak === 'tamper-ordered' ? null : simBreak,
    ...(options.durability === undefined ? {} : { durability: options.durability }),
  });
  const tracing = options.trace === true || options.onTraceLine !== undefined;
  const tracer = new Tracer(tracing, options.onTraceLine ?? null);
  tracer.event(0, 'sim', () => `seed ${seed}: ${describeConfig(config)}`);
  for (const action of config.faults.actions) tracer.event(0, 'sim', () => `plan @${action.atMs.toFixed(1)} ms: ${describeAction(action)}`);

  const cluster = new Cluster(config, prng.fork('cluster'), tracer, simBreak === 'tamper-ordered' ? 'tamper-ordered' : null);
  const { scheduler } = cluster;
  let failure: SimFailure | null = null;
  try {
    cluster.start();
    scheduler.runUntil(
      config.endMs,
      () => scheduler.nowMs >= config.quietStartMs && cluster.clientsFinished() && cluster.replicasCaughtUp(),
    );
  } catch (err) {
    const kind: FailureKind = err instanceof InvariantViolation ? 'invariant' : 'exception';
    const message = err instanceof Error ? (kind === 'exception' ? (err.stack ?? err.message) : err.message) : String(err);
    failure = { kind, message, atMs: scheduler.nowMs };
  }
  if (failure === null) {
    const lagging = cluster.replicas
      .filter((replica) => !replica.isUp || cluster.invariants.lastApplied(replica.id) < cluster.invariants.slotsApplied())
      .map(
        (replica) =>
          `${replica.name} applied ${cluster.invariants.lastApplied(replica.id)} of ${cluster.invariants.slotsApplied()} (${replica.describe()})`,
      );
    const stuck = checkLiveness({
      ops: cluster.history.ops,
      quietStartMs: config.quietStartMs,
      livenessBoundMs: config.livenessBoundMs,
      endMs: scheduler.nowMs,
      laggingReplicas: scheduler.nowMs >= config.endMs ? lagging : [],
    });
    if (stuck !== null) failure = { kind: 'liveness', message: stuck, atMs: scheduler.nowMs };
  }
  if (failure === null) {
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
      failure = { kind: 'linearizability', message, atMs: scheduler.nowMs };
    }
  }
  if (failure !== null) tracer.event(scheduler.nowMs, 'sim', () => `FAILURE (${failure!.kind}): ${failure!.message}`);

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
    },
    slots: { applied: cluster.invariants.slotsApplied(), noops: cluster.invariants.noopSlots() },
    network: { ...cluster.network.stats },
    config: describeConfig(config),
    trace: tracing ? tracer.collected : null,
  };
}

/** The command that replays a seed with its trace. */
export function replayCommand(seed: number, options: RunOptions = {}): string {
  const extra = [options.break ? ` --break ${options.break}` : '', options.durability ? ` --durability ${options.durability}` : ''].join(
    '',
  );
  return `npm run sim -- --seed ${seed} --trace${extra}`;
}
