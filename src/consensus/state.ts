// The replica's state and the small questions every part of the protocol asks of it (who leads, how
// many make a quorum, which (view, session) is newer). See docs/protocol.md for the rules.
import type { Durability } from '../config/cluster.js';
import { leaderOf } from '../mrtom/group.js';
import type { LogEntry } from './log-entry.js';
import type { ViewChangeBody, StartViewBody } from './peer-messages.js';
import type { ReplicaCounters, ReplicaDropReason, ReplicaStatus, ViewState } from './types.js';

export interface ReplicaTiming {
  /** A gap this old makes the replica ask the sequencer's ring (RETRANSMIT). */
  gapTimeoutMs: number;
  /** A gap this old makes the replica ask its peers (LOG_REQUEST). */
  gapPeerTimeoutMs: number;
  /** A gap this old at the leader becomes a NO-OP (gap agreement). */
  gapNoopTimeoutMs: number;
  /** Spacing of repeated RETRANSMIT / LOG_REQUEST while a gap stays open. */
  gapRequestIntervalMs: number;
  /** The leader's SYNC period (commit point, NO-OPs, liveness). */
  syncIntervalMs: number;
  /** No SYNC from the leader for this long → view change. */
  leaderTimeoutMs: number;
  /** The leader hears nothing from the sequencer for this long → session change. */
  sequencerTimeoutMs: number;
  /** Resend period of view-change, START_VIEW, SESSION_START and RECOVERY messages. */
  resendIntervalMs: number;
  /** A view change that has not finished in this long moves on to the next leader. */
  viewChangeTimeoutMs: number;
}

export interface ReplicaOptions {
  id: number;
  group: number;
  replicaIds: readonly number[];
  sequencerIds: readonly number[];
  durability: Durability;
  timing: ReplicaTiming;
  /** Applied entries kept in memory to serve lagging peers. */
  logRetainEntries: number;
  /** Out-of-order ORDERED buffered while a gap is open; anything further ahead is dropped. */
  pendingEntriesMax: number;
  /** Unique per process start: tells this incarnation's recovery replies from an earlier one's. */
  nonce: number;
}

export interface ViewId {
  view: number;
  session: number;
}

export interface Gap {
  slot: number;
  sinceMs: number;
  askedSequencerMs: number;
  askedPeersMs: number;
}

export interface ViewChangeProgress {
  startedMs: number;
  sentMs: number;
  sequencerSuspect: boolean;
  votes: Map<number, ViewChangeBody>;
  /** Set on the new leader once a quorum voted: the merged log it is assembling. */
  merge: MergePlan | null;
}

export interface MergePlan {
  body: StartViewBody;
  /** Replica to fetch missing merged entries from. */
  source: number;
  askedMs: number;
}

/** A replica that suspects its leader asks before it moves its view: the grants it has for `target`. */
export interface PreVote {
  target: ViewId;
  grants: Set<number>;
  sentMs: number;
}

/** A follower installing a START_VIEW: fetching the merged log up to body.sessionBase from the leader. */
export interface Install {
  leader: number;
  body: StartViewBody;
  askedMs: number;
}

export interface ReplicaState {
  readonly options: ReplicaOptions;
  readonly f: number;
  status: ReplicaStatus;
  vs: ViewState;
  /** Entries by slot: a window of applied ones (for peers) and every held unapplied one. */
  readonly log: Map<number, LogEntry>;
  /** Oldest slot in `log`; slots before it were trimmed (a peer that needs them needs a snapshot). */
  logStart: number;
  /** Highest slot such that every slot ≤ it is in the log. */
  through: number;
  persistedThrough: number;
  persistEpoch: number;
  /** Highest slot known committed (with its NO-OPs known). */
  commit: number;
  applied: number;
  /** Highest slot known to exist (sequencer stamps, leader SYNC). */
  highestKnownSlot: number;
  /** ORDERED entries of the current session that arrived ahead of a gap, by slot. */
  readonly pending: Map<number, LogEntry>;
  /** NO-OP seqs of the current session, ascending. */
  sessionNoops: number[];
  /** Restarted with a log window that no longer covers the whole session, so sessionNoops may miss some. */
  noopsIncomplete: boolean;
  /** NO-OP slots to impose on entries fetched while installing a merged log. */
  noopOverlay: Set<number>;
  gap: Gap | null;
  ackDue: boolean;
  lastHeardSequencerMs: number;
  lastHeardLeaderMs: number;
  becameNormalMs: number;
  lastSyncSentMs: number;
  /** Leader: the START_VIEW of the current view, until f followers confirmed it. */
  startView: { body: StartViewBody; replies: Set<number>; sentMs: number } | null;
  /** Leader: SESSION_START not yet answered by the sequencer. */
  sessionStartSentMs: number | null;
  viewChange: ViewChangeProgress | null;
  preVote: PreVote | null;
  install: Install | null;
  /** A snapshot is being fetched and installed: nothing is applied or appended meanwhile. */
  snapshot: { from: number; sinceMs: number } | null;
  recovery: {
    sentMs: number;
    replies: Map<number, { view: number; session: number; sequencerId: number; sessionBase: number; commit: number; through: number }>;
  } | null;
  readonly counters: ReplicaCounters;
}

export function isLeader(state: ReplicaState): boolean {
  return leaderOf(state.options.replicaIds, state.vs.view) === state.options.id;
}

export function peersOf(state: ReplicaState): number[] {
  return state.options.replicaIds.filter((id) => id !== state.options.id);
}

/** a is strictly newer than b: no component older, at least one newer. */
export function isNewer(a: ViewId, b: ViewId): boolean {
  return a.view >= b.view && a.session >= b.session && (a.view > b.view || a.session > b.session);
}

/**
 * The view-id to move to after seeing `seen`: the component-wise maximum, when `seen` is ahead in any
 * component (two replicas may have started changes that are ahead in different components); else null.
 */
export function joinedViewId(current: ViewId, seen: ViewId): ViewId | null {
  if (seen.view <= current.view && seen.session <= current.session) return null;
  return { view: Math.max(seen.view, current.view), session: Math.max(seen.session, current.session) };
}

export function sameViewId(a: ViewId, b: ViewId): boolean {
  return a.view === b.view && a.session === b.session;
}

/** Orders last-normal view ids: sessions never repeat across normal views, view breaks ties. */
export function compareLastNormal(a: ViewId, b: ViewId): number {
  return a.session - b.session || a.view - b.view;
}

export function currentViewId(state: ReplicaState): ViewId {
  return { view: state.vs.view, session: state.vs.session };
}

export function drop(state: ReplicaState, reason: ReplicaDropReason): [] {
  state.counters.dropped[reason] = (state.counters.dropped[reason] ?? 0) + 1;
  return [];
}

export function nextSequencer(state: ReplicaState): number {
  const ids = state.options.sequencerIds;
  const at = ids.indexOf(state.vs.sequencerId);
  return ids[(at + 1) % ids.length]!;
}
