// Timeouts and limits of the replica runtime, in one place. Starting points from NOPaxos's reference
// implementation, scaled up for a Node event loop that may stall for tens of ms on a busy 2-core box.
// The replica's gap timeout is longer than the sequencer's retransmit interval (20 ms) so the fast path
// repairs most losses before the slow path starts.
import type { ReplicaTiming } from '../consensus/state.js';

export const PROTOCOL_TIMING: ReplicaTiming = {
  gapTimeoutMs: 40,
  gapPeerTimeoutMs: 120,
  gapNoopTimeoutMs: 400,
  gapRequestIntervalMs: 40,
  syncIntervalMs: 100,
  leaderTimeoutMs: 1500,
  sequencerTimeoutMs: 1000,
  resendIntervalMs: 100,
  viewChangeTimeoutMs: 2000,
};

/** The runtime's own timeouts and limits around the protocol (replica-process.ts). */
export interface RuntimeTiming {
  tickIntervalMs: number;
  pendingEntriesMax: number;
  logRetainEntries: number;
  requestResendIntervalMs: number;
  requestResendIntervalMsMax: number;
  commitTimeoutMs: number;
  requestsInFlightMax: number;
  /** REQUEST batches sent and not yet applied; operations arriving meanwhile fill the next (submitter.ts). */
  requestBatchesInFlightMax: number;
  /** With this many requests not yet applied, one REQUEST batch at a time (submitter.ts). */
  requestSingleBatchFromOps: number;
  /** No word from the sequencer for this long → the node answers 503 instead of queueing. */
  sequencerSilenceMs: number;
  /** How often an apply is synced, letting the log be trimmed below it (replica-host.ts). */
  checkpointIntervalMs: number;
  /** The durable log is trimmed once it trails the replica's window by this many entries. */
  logTrimStepEntries: number;
}

export const REPLICA_TIMING: RuntimeTiming = {
  tickIntervalMs: 5,
  pendingEntriesMax: 8192,
  logRetainEntries: 10_000,
  requestResendIntervalMs: 250,
  requestResendIntervalMsMax: 2000,
  commitTimeoutMs: 5000,
  requestsInFlightMax: 4096,
  requestBatchesInFlightMax: 2,
  requestSingleBatchFromOps: 4,
  sequencerSilenceMs: 1000,
  checkpointIntervalMs: 100,
  logTrimStepEntries: 512,
};

/**
 * The userspace sequencer's timing. Ticks drive timeout resends and heartbeats; the retransmit interval is
 * shorter than the replicas' gap timeout, so the fast path repairs most losses before the slow path starts.
 * It stretches, per replica, to how long that replica's acks take (up to the max): a loaded replica is
 * slow, not lossy (src/lib/delay-estimate.ts).
 */
export const SEQUENCER_TIMING = {
  tickIntervalMs: 5,
  retransmitIntervalMs: 20,
  retransmitIntervalMsMax: 200,
  heartbeatIntervalMs: 50,
  resendPerTickMax: 256,
};
