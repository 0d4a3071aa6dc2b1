// The MRTOM-Paxos replica as a pure state machine (docs/design.md §3; docs/protocol.md): datagrams,
// persistence confirmations and ticks in; effects out (types.ts). No sockets, timers, clocks or disk: the
// runtime (src/runtime) and the simulator (test/sim) perform the effects in order.
//
// replica.ts routes inputs; normal.ts is the fast path, gap.ts fills holes, view-change.ts and
// recovery.ts are the slow path, liveness.ts keeps time.
import { DecodeError, MessageType, type Header } from '../mrtom/header.js';
import { decodeDatagram, decodeNoopsBody } from '../mrtom/messages.js';
import type { LogEntry } from './log-entry.js';
import type { ViewState } from './view-state.js';
import { assertNever } from '../lib/assert-never.js';
import { faultsToleratedOf, leaderOf } from '../mrtom/group.js';
import { onLogReply, onLogRequest, onSnapshotInstalled } from './gap.js';
import { onFlush, onNotice, onOrdered, onPersisted } from './normal.js';
import { bindIncarnation, onSequencerRestarted, onSync, onTick } from './liveness.js';
import { onRecovery, onRecoveryReply } from './recovery.js';
import { onPreVote, onPreVoteReply } from './pre-vote.js';
import {
  decodeLogReply,
  decodeLogRequest,
  decodeRecovery,
  decodeRecoveryReply,
  decodeStartView,
  decodeSync,
  decodeViewChange,
} from './peer-messages.js';
import { drop, isLeader, type ReplicaOptions, type ReplicaState } from './state.js';
import { continueInstall, continueMerge, onStartView, onStartViewReply, onViewChange, onViewChangeRequest } from './view-change.js';
import type { Peer, ReplicaEffect, ReplicaInput, ReplicaMachine, ReplicaSoftState } from './types.js';

export type { ReplicaOptions, ReplicaState } from './state.js';
export { isLeader } from './state.js';

/** What a replica restarts from: what its store holds. */
export interface ReplicaRestorePoint {
  /** null for a replica that never ran: it joins the initial view. */
  viewState: ViewState | null;
  appliedSlot: number;
  /** Durable log entries, ascending slot; may include applied ones (kept to serve peers). */
  log: readonly LogEntry[];
  /** The clock at start: silence is measured from here, not from the epoch of the clock. */
  nowMs: number;
  /** The store discarded state this replica may have acknowledged (durability memory, broken install). */
  stateLost: boolean;
}

export function createReplica(options: ReplicaOptions, restore: ReplicaRestorePoint): ReplicaState {
  const firstSequencer = options.sequencerIds[0];
  if (firstSequencer === undefined) throw new Error('at least one sequencer is required');
  // A replica whose durability may have lost acknowledged entries must not vote until it recovered.
  const mayHaveLostAcks = restore.viewState !== null && (options.durability !== 'fsync' || restore.stateLost);
  const vs: ViewState = restore.viewState ?? {
    view: 0,
    session: 0,
    sequencerId: firstSequencer,
    sequencerIncarnation: 0,
    sessionBase: 0,
    lastNormalView: 0,
    lastNormalSession: 0,
  };
  const inViewChange = vs.view !== vs.lastNormalView || vs.session !== vs.lastNormalSession;
  const state: ReplicaState = {
    options,
    f: faultsToleratedOf(options.replicaIds.length),
    status: mayHaveLostAcks ? 'recovering' : inViewChange ? 'view-change' : 'normal',
    vs,
    log: new Map(),
    logStart: restore.appliedSlot + 1,
    through: restore.appliedSlot,
    persistedThrough: restore.appliedSlot,
    persistEpoch: 0,
    commit: restore.appliedSlot,
    applied: restore.appliedSlot,
    highestKnownSlot: restore.appliedSlot,
    pending: new Map(),
    sessionNoops: [],
    noopOverlay: new Set(),
    gap: null,
    ackDue: true,
    lastHeardSequencerMs: Number.NEGATIVE_INFINITY,
    lastHeardLeaderMs: restore.nowMs,
    becameNormalMs: restore.nowMs,
    lastSyncSentMs: Number.NEGATIVE_INFINITY,
    startView: null,
    sessionStartSentMs: null,
    viewChange:
      inViewChange && !mayHaveLostAcks
        ? { startedMs: restore.nowMs, sentMs: Number.NEGATIVE_INFINITY, sequencerSuspect: false, votes: new Map(), merge: null }
        : null,
    preVote: null,
    install: null,
    snapshot: null,
    recovery: mayHaveLostAcks ? { sentMs: Number.NEGATIVE_INFINITY, replies: new Map() } : null,
    noopsIncomplete: false,
    counters: { appended: 0, duplicates: 0, retransmitRequests: 0, logRequests: 0, noopsDecided: 0, viewChanges: 0, dropped: {} },
  };
  restoreLog(state, restore, mayHaveLostAcks);
  return state;
}

/** The store's retained applied window (contiguous, ending at appliedSlot) and its durable tail. */
function restoreLog(state: ReplicaState, restore: ReplicaRestorePoint, appliedOnly: boolean): void {
  for (const entry of restore.log) {
    if (entry.slot <= restore.appliedSlot) {
      state.logStart = Math.min(state.logStart, entry.slot);
    } else if (appliedOnly || entry.slot !== state.through + 1) {
      continue;
    } else {
      state.through = entry.slot;
    }
    state.log.set(entry.slot, entry);
    if (entry.noop && entry.session === state.vs.session) state.sessionNoops.push(entry.seq);
  }
  state.persistedThrough = state.through;
  // A leader must relay every NO-OP of its session; if the window no longer reaches the session's start,
  // some are forgotten, so it starts a fresh session instead (liveness.ts).
  state.noopsIncomplete = state.logStart > state.vs.sessionBase + 1 && state.vs.session !== 0;
}

export function stepReplica(state: ReplicaState, input: ReplicaInput): ReplicaEffect[] {
  switch (input.kind) {
    case 'datagram':
      return onDatagram(state, input.from, input.bytes, input.nowMs);
    case 'persisted':
      return onPersisted(state, input.throughSlot, input.epoch);
    case 'flush':
      return onFlush(state);
    case 'tick':
      return onTick(state, input.nowMs);
    case 'snapshot-installed':
      return [
        ...onSnapshotInstalled(state, input.appliedSlot, input.nowMs),
        ...continueMerge(state, input.nowMs),
        ...continueInstall(state, input.nowMs),
      ];
    case 'snapshot-failed':
      state.snapshot = null; // The gap, merge or install that needed it will ask again.
      return [];
    default:
      return assertNever(input);
  }
}

function onDatagram(state: ReplicaState, from: Peer, bytes: Uint8Array, nowMs: number): ReplicaEffect[] {
  let header: Header;
  let body: Uint8Array;
  try {
    ({ header, body } = decodeDatagram(bytes));
  } catch (err) {
    if (err instanceof DecodeError) return drop(state, err.reason);
    throw err;
  }
  if (header.group !== state.options.group) return drop(state, 'group');
  try {
    return 'sequencer' in from
      ? fromSequencer(state, from.sequencer, header, body, nowMs)
      : fromReplica(state, from.replica, header, body, nowMs);
  } catch (err) {
    if (err instanceof DecodeError) return drop(state, err.reason);
    throw err;
  }
}

function fromSequencer(state: ReplicaState, sequencer: number, header: Header, body: Uint8Array, nowMs: number): ReplicaEffect[] {
  if (sequencer !== state.vs.sequencerId) return drop(state, 'sender');
  if (header.session < state.vs.session) return drop(state, 'old-session');
  // A newer session is only ever joined through a view change, never from the sequencer's word.
  if (header.session > state.vs.session) return drop(state, 'future-session');
  if (header.view !== state.vs.view) return drop(state, 'wrong-view');
  if (state.status !== 'normal') return drop(state, 'not-normal');
  if (header.type !== MessageType.ORDERED && header.type !== MessageType.COMMIT && header.type !== MessageType.HEARTBEAT) {
    return drop(state, 'unexpected-type');
  }
  const bound = state.vs.sequencerIncarnation;
  const incarnation = header.incarnation ?? 0;
  if (incarnation !== bound) {
    // The session is bound to one sequencer process (docs/protocol.md, "incarnations"): the leader binds
    // the first it hears; followers take the leader's word from SYNC.
    if (!isLeader(state)) return drop(state, bound === 0 ? 'unbound' : 'stale-incarnation');
    if (bound !== 0 || incarnation === 0) return onSequencerRestarted(state, nowMs);
    return [...bindIncarnation(state, incarnation, nowMs), ...fromBoundSequencer(state, header, body, nowMs)];
  }
  return fromBoundSequencer(state, header, body, nowMs);
}

function fromBoundSequencer(state: ReplicaState, header: Header, body: Uint8Array, nowMs: number): ReplicaEffect[] {
  return header.type === MessageType.ORDERED
    ? onOrdered(state, header, body, nowMs)
    : onNotice(state, header, decodeNoopsBody(body).noops, nowMs);
}

function fromReplica(state: ReplicaState, replica: number, header: Header, body: Uint8Array, nowMs: number): ReplicaEffect[] {
  if (header.sender !== replica || replica === state.options.id) return drop(state, 'sender');
  switch (header.type) {
    case MessageType.VIEW_CHANGE_REQUEST:
      return onViewChangeRequest(state, header, nowMs);
    case MessageType.VIEW_CHANGE:
      return onViewChange(state, replica, header, decodeViewChange(body), nowMs);
    case MessageType.START_VIEW:
      return onStartView(state, replica, header, decodeStartView(body), nowMs);
    case MessageType.START_VIEW_REPLY:
      return onStartViewReply(state, replica, header);
    case MessageType.LOG_REQUEST:
      return onLogRequest(state, replica, header, decodeLogRequest(body));
    case MessageType.LOG_REPLY: {
      const before = state.through;
      const effects = onLogReply(state, replica, header, decodeLogReply(body), nowMs);
      // A page arrived: ask for the next one now rather than on the next resend tick.
      if (state.through > before) {
        if (state.viewChange?.merge) state.viewChange.merge.askedMs = Number.NEGATIVE_INFINITY;
        if (state.install) state.install.askedMs = Number.NEGATIVE_INFINITY;
      }
      return [...effects, ...continueMerge(state, nowMs), ...continueInstall(state, nowMs)];
    }
    case MessageType.SYNC:
      return onSync(state, replica, header, decodeSync(body), nowMs);
    case MessageType.RECOVERY:
      return onRecovery(state, replica, decodeRecovery(body).nonce);
    case MessageType.RECOVERY_REPLY:
      return onRecoveryReply(state, replica, header, decodeRecoveryReply(body), nowMs);
    case MessageType.PRE_VOTE:
      return onPreVote(state, replica, header, nowMs);
    case MessageType.PRE_VOTE_REPLY:
      return onPreVoteReply(state, replica, header, nowMs);
    default:
      return drop(state, 'unexpected-type');
  }
}

/** The machine interface over a replica's state (types.ts): what the host drives and reads. */
export function machineOf(state: ReplicaState): ReplicaMachine {
  return { step: (input) => stepReplica(state, input), soft: () => softStateOf(state), counters: () => state.counters };
}

export function softStateOf(state: ReplicaState): ReplicaSoftState {
  const { vs } = state;
  return {
    id: state.options.id,
    status: state.status,
    view: vs.view,
    session: vs.session,
    sequencerId: vs.sequencerId,
    sessionBase: vs.sessionBase,
    leaderId: leaderOf(state.options.replicaIds, vs.view),
    through: state.through,
    commit: state.commit,
    applied: state.applied,
    logStart: state.logStart,
    logEntries: state.log.size,
    lastHeardSequencerMs: state.lastHeardSequencerMs,
    caughtUp: state.status === 'normal' && vs.session !== 0 && state.applied >= state.commit && state.through >= state.highestKnownSlot,
  };
}
