// Builders shared by tests that drive replicas directly: a log entry of session 1, and a replica restored
// in normal status in session 1 with its sequencer binding already durable (ready to take ORDERED).
import type { LogEntry } from '../../../src/consensus/log-entry.js';
import { createReplica, type ReplicaState } from '../../../src/consensus/replica.js';
import type { ViewState } from '../../../src/consensus/view-state.js';
import { PROTOCOL_TIMING } from '../../../src/runtime/timing.js';

/** The sequencer incarnation the session of `boundReplica` is bound to. */
export const BOUND_INCARNATION = 99;

export const BOUND_SESSION: ViewState = {
  view: 0,
  session: 1,
  sequencerId: 1,
  sequencerIncarnation: BOUND_INCARNATION,
  sessionBase: 0,
  lastNormalView: 0,
  lastNormalSession: 1,
};

/** Slot = seq in session 1; a request of client 5 unless a NO-OP. */
export function logEntry(slot: number, noop = false, body: Uint8Array = new Uint8Array(0)): LogEntry {
  return {
    slot,
    session: 1,
    seq: slot,
    view: 0,
    clientId: noop ? 0 : 5,
    requestId: noop ? 0 : slot,
    body: noop ? new Uint8Array(0) : body,
    noop,
  };
}

export function boundReplica(id: number, options: { group?: number; pendingEntriesMax?: number } = {}): ReplicaState {
  return createReplica(
    {
      id,
      group: options.group ?? 1,
      replicaIds: [1, 2, 3],
      sequencerIds: [1],
      durability: 'fsync',
      timing: PROTOCOL_TIMING,
      logRetainEntries: 100,
      pendingEntriesMax: options.pendingEntriesMax ?? 100,
      nonce: 1,
    },
    { viewState: BOUND_SESSION, appliedSlot: 0, log: [], nowMs: 0, stateLost: false },
  );
}
