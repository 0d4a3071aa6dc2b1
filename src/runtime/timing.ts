// Timeouts and limits of the replica runtime, in one place. Starting points from NOPaxos's reference
// implementation scaled up for a Node event loop (~1 ms jitter). The replica's gap timeout is longer than
// the sequencer's retransmit interval so the fast path repairs most losses before the replica asks.
export const REPLICA_TIMING = {
  tickIntervalMs: 5,
  gapTimeoutMs: 40,
  retransmitRequestIntervalMs: 40,
  pendingEntriesMax: 8192,
  requestResendIntervalMs: 250,
  commitTimeoutMs: 5000,
  requestsInFlightMax: 4096,
  /** No ORDERED, COMMIT or HEARTBEAT for this long → the node answers 503 instead of queueing. */
  sequencerSilenceMs: 1000,
} as const;
