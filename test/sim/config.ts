// The shape of one simulated run, drawn from its seed: cluster size (3, sometimes 5 replicas; 1 or 2
// sequencers), durability mode, protocol timeouts (occasionally stretched or squeezed, FoundationDB
// BUGGIFY-style, so rare timing paths get exercised), ring size (sometimes tiny, so ring overflow forces
// the replicas' slow path), workload and fault plan. Simulated time is kept to a few seconds so that
// thousands of seeds fit in a CI run.
import type { Durability } from '../../src/config/cluster.js';
import type { ReplicaTiming } from '../../src/consensus/state.js';
import type { RuntimeTiming } from '../../src/runtime/timing.js';
import { HISTORY_RETAIN_REVISIONS_DEFAULT } from '../../src/store/state-store.js';
import { generateFaultPlan, type FaultPlan } from './faults.js';
import type { LinkConditions } from './network.js';
import type { Prng } from './prng.js';
import type { DiskTiming } from './sim-disk.js';
import type { SequencerTiming } from './sim-sequencer.js';
import type { WorkloadTiming } from './workload.js';

export interface SimConfig {
  group: number;
  replicaIds: number[];
  sequencerIds: number[];
  durability: Durability;
  replicaTiming: ReplicaTiming;
  runtimeTiming: RuntimeTiming;
  sequencerTiming: SequencerTiming;
  disk: DiskTiming;
  /** Small, so that runs roll over and trim whole segments of the write-ahead log. */
  walSegmentBytes: number;
  /** Revisions of history kept and compaction's sweep step (src/store/history-sweep.ts): often small, so
   *  compaction, its sweep and 410s on reads and watches happen within a run. */
  history: { retainRevisions: number; sweepStepRevisions: number };
  calm: LinkConditions;
  keys: string[];
  clientCount: number;
  opsPerClientMax: number;
  workloadTiming: WorkloadTiming;
  faults: FaultPlan;
  /** Faults end here; from now on every op must complete within livenessBoundMs. */
  quietStartMs: number;
  livenessBoundMs: number;
  /** Clients invoke no new operation from here. */
  invokeEndMs: number;
  /** The run stops here at the latest. */
  endMs: number;
}

export interface ConfigOverrides {
  durability?: Durability;
}

export const TICK_INTERVAL_MS = 5;

/**
 * Replica timeouts for the simulator, in the ratios of the production defaults (docs/background.md
 * "Default timeouts") but compressed so a view or session change fits in a short run. The sequencer's
 * retransmit interval stays well below the replica's gap timeout so the fast path repairs most losses.
 */
const REPLICA_TIMING_BASE: ReplicaTiming = {
  gapTimeoutMs: 20,
  gapPeerTimeoutMs: 50,
  gapNoopTimeoutMs: 100,
  gapRequestIntervalMs: 20,
  syncIntervalMs: 50,
  leaderTimeoutMs: 300,
  sequencerTimeoutMs: 200,
  resendIntervalMs: 50,
  viewChangeTimeoutMs: 400,
};

const SEQUENCER_RETRANSMIT_INTERVAL_MS = 8;
const SEQUENCER_HEARTBEAT_INTERVAL_MS = 20;
const SEQUENCER_RESEND_PER_TICK_MAX = 64;
/** Ring sizes: a tiny ring overflows under load and loss, which is how NO-OPs (gap agreement) get exercised. */
const RING_CAPACITIES = [4, 16, 64, 1024] as const;

/** A run makes a few hundred revisions: the default retention keeps them all, the others compact. */
const HISTORY_RETAIN_REVISIONS = [HISTORY_RETAIN_REVISIONS_DEFAULT, 16, 64, 256] as const;

const FAULT_PERIOD_MS_MIN = 1000;
const FAULT_PERIOD_MS_MAX = 2500;
/** Clients keep invoking this long into the quiet period, to show the system serves again. */
const QUIET_INVOKE_MS = 500;
/** From the quiet start (or a later invoke), every op completes within this; room for a leader timeout, a view change and a recovery. */
const LIVENESS_BOUND_MS = 2500;
/** A submitter gives up this long after the liveness bound, so a stuck op is reported as stuck rather than abandoned. */
const COMMIT_TIMEOUT_PAST_BOUND_MS = 1000;
const OPS_PER_CLIENT_MAX = 150;

export function generateConfig(prng: Prng, overrides: ConfigOverrides = {}): SimConfig {
  const replicaCount = prng.chance(0.2) ? 5 : 3;
  const replicaIds = Array.from({ length: replicaCount }, (_, i) => i + 1);
  const sequencerIds = prng.chance(0.6) ? [1, 2] : [1];
  const durability = overrides.durability ?? prng.pick<Durability>(['fsync', 'fsync', 'async', 'memory']);
  const calm: LinkConditions = { lossRate: 0, duplicateRate: 0, latencyMsMin: 0.05, latencyMsMax: prng.between(0.2, 2) };
  const quietStartMs = prng.between(FAULT_PERIOD_MS_MIN, FAULT_PERIOD_MS_MAX);
  const invokeEndMs = quietStartMs + QUIET_INVOKE_MS;
  const keyCount = prng.int(1, 5);
  const { timing, factor } = buggify(prng, REPLICA_TIMING_BASE);
  // Slower timeouts need proportionally longer to recover from the faults.
  const livenessBoundMs = LIVENESS_BOUND_MS * Math.max(1, factor);
  return {
    group: 1,
    replicaIds,
    sequencerIds,
    durability,
    replicaTiming: timing,
    sequencerTiming: {
      ringCapacity: prng.pick(RING_CAPACITIES),
      retransmitIntervalMs: SEQUENCER_RETRANSMIT_INTERVAL_MS,
      retransmitIntervalMsMax: SEQUENCER_RETRANSMIT_INTERVAL_MS * prng.pick([1, 10]),
      heartbeatIntervalMs: SEQUENCER_HEARTBEAT_INTERVAL_MS,
      resendPerTickMax: SEQUENCER_RESEND_PER_TICK_MAX,
    },
    runtimeTiming: {
      tickIntervalMs: TICK_INTERVAL_MS,
      logRetainEntries: prng.pick([4, 16, 1024]),
      pendingEntriesMax: prng.pick([64, 8192]),
      requestResendIntervalMs: 100,
      requestResendIntervalMsMax: 400,
      commitTimeoutMs: livenessBoundMs + COMMIT_TIMEOUT_PAST_BOUND_MS,
      requestsInFlightMax: 4096,
      requestBatchesInFlightMax: prng.pick([1, 2, 4]),
      requestSingleBatchFromOps: prng.pick([2, 4, Number.POSITIVE_INFINITY]),
      // As in production, the node stops taking writes once the sequencer is silent as long as the
      // leader waits before replacing it.
      sequencerSilenceMs: timing.sequencerTimeoutMs,
      // 0: every apply is a checkpoint; else the log is replayed over an unsynced stretch at restart.
      checkpointIntervalMs: prng.pick([0, 30, 100]),
      // Small steps make trims (and what they must never drop) common within a short run.
      logTrimStepEntries: prng.pick([1, 8, 512]),
    },
    // Linux writes dirty pages back after up to 30 s; a short interval here would hide unsynced writes.
    disk: { writeMsMin: 0.05, writeMsMax: prng.between(0.1, 2), osFlushIntervalMs: prng.chance(0.5) ? prng.between(20, 200) : 30_000 },
    walSegmentBytes: prng.pick([4096, 4096, 16_384, 262_144]),
    history: { retainRevisions: prng.pick(HISTORY_RETAIN_REVISIONS), sweepStepRevisions: prng.pick([1, 8, 64]) },
    calm,
    keys: Array.from({ length: keyCount }, (_, i) => `k${i}`),
    clientCount: prng.int(2, 6),
    opsPerClientMax: OPS_PER_CLIENT_MAX,
    workloadTiming: { thinkMsMax: prng.between(5, 60), leaseTtlMsMin: 50, leaseTtlMsMax: 400 },
    faults: generateFaultPlan(prng, {
      replicaIds,
      sequencerIds,
      durability,
      calm,
      quietStartMs,
      gapNoopTimeoutMs: timing.gapNoopTimeoutMs,
    }),
    quietStartMs,
    livenessBoundMs,
    invokeEndMs,
    endMs: invokeEndMs + livenessBoundMs,
  };
}

/** Usually the base timeouts; sometimes all of them halved or doubled together, keeping their ratios. */
function buggify(prng: Prng, base: ReplicaTiming): { timing: ReplicaTiming; factor: number } {
  const roll = prng.float();
  const factor = roll < 0.1 ? 0.5 : roll < 0.2 ? 2 : 1;
  const timing = Object.fromEntries(Object.entries(base).map(([name, ms]) => [name, ms * factor])) as unknown as ReplicaTiming;
  return { timing, factor };
}

export function describeConfig(config: SimConfig): string {
  return [
    `replicas ${config.replicaIds.length}, sequencers ${config.sequencerIds.length}, durability ${config.durability}, ring ${config.sequencerTiming.ringCapacity}`,
    `clients ${config.clientCount}, keys ${config.keys.length}, leader timeout ${config.replicaTiming.leaderTimeoutMs} ms, history kept ${config.history.retainRevisions} revisions`,
    `faults until ${config.quietStartMs.toFixed(0)} ms (${config.faults.actions.length} actions), run until ${config.endMs.toFixed(0)} ms`,
  ].join('; ');
}
