// The one seam between the simulator and the protocol modules' constructors and state: how a replica and
// a sequencer are built from the simulated cluster's setup, and the few facts the simulator reads from a
// replica's state (which sequencer serves it, a one-line status for the trace). When the protocol's
// options or state change shape, this file is the only one to adjust.
import { createReplica, stepReplica, type ReplicaState } from '../../src/consensus/replica.js';
import type { ReplicaOptions, ReplicaTiming, UnsafeBreak } from '../../src/consensus/state.js';
import type { ReplicaEffect, ReplicaInput, ViewState } from '../../src/consensus/types.js';
import {
  createSequencer,
  stepSequencer,
  type SequencerEffect,
  type SequencerInput,
  type SequencerState,
} from '../../src/sequencer/protocol.js';
import type { LogEntry } from '../../src/consensus/log-entry.js';

export type { ReplicaTiming, UnsafeBreak };

/** The replica's options as the cluster fixes them; the nonce is drawn per start, the break per run. */
export type ReplicaSetup = Omit<ReplicaOptions, 'nonce' | 'unsafeBreak'> & { unsafeBreak: UnsafeBreak | null };

/** What the simulated disk hands a restarting replica. */
export interface ReplicaRestore {
  viewState: ViewState | null;
  appliedSlot: number;
  log: readonly LogEntry[];
  stateLost: boolean;
}

export interface SequencerTiming {
  ringCapacity: number;
  retransmitIntervalMs: number;
  heartbeatIntervalMs: number;
  resendPerTickMax: number;
}

export type SimReplicaState = ReplicaState;
export type SimSequencerState = SequencerState;

/**
 * Starts a replica process at `nowMs` from what its disk kept. `nonce` is unique per incarnation (drawn
 * from the seed), as a process start would make it.
 */
export function startReplica(setup: ReplicaSetup, restore: ReplicaRestore, nowMs: number, nonce: number): ReplicaState {
  return createReplica(
    {
      id: setup.id,
      group: setup.group,
      replicaIds: setup.replicaIds,
      sequencerIds: setup.sequencerIds,
      durability: setup.durability,
      timing: setup.timing,
      logRetainEntries: setup.logRetainEntries,
      pendingEntriesMax: setup.pendingEntriesMax,
      nonce,
      ...(setup.unsafeBreak === null ? {} : { unsafeBreak: setup.unsafeBreak }),
    },
    { ...restore, nowMs },
  );
}

export function stepSimReplica(state: ReplicaState, input: ReplicaInput): ReplicaEffect[] {
  return stepReplica(state, input);
}

/** The sequencer a node's submitters send REQUESTs to: the one serving the replica's current session. */
export function sequencerServing(state: ReplicaState): number {
  return state.vs.sequencerId;
}

/** Up, but still without the data it lost: the recovery protocol has not finished. */
export function isRecovering(state: ReplicaState): boolean {
  return state.status === 'recovering';
}

export function describeReplica(state: ReplicaState): string {
  const { vs } = state;
  return `${state.status} v${vs.view} s${vs.session}@seq${vs.sequencerId} base=${vs.sessionBase} through=${state.through} commit=${state.commit} applied=${state.applied}`;
}

/** `incarnation` is unique per sequencer process start (drawn from the seed), as production's random one. */
export function startSequencer(group: number, replicaIds: readonly number[], timing: SequencerTiming, incarnation: number): SequencerState {
  return createSequencer({ group, replicaIds, ...timing, incarnation });
}

export function stepSimSequencer(state: SequencerState, input: SequencerInput): SequencerEffect[] {
  return stepSequencer(state, input);
}

export function describeSequencer(state: SequencerState): string {
  return `s${state.session} v${state.view} last=${state.seqLast} commit=${state.commit}`;
}
