// View and session change (docs/design.md §3; NOPaxos §5.4, VR). Every change moves to a new (view, session):
// the leader of the new view merges the logs of a quorum — from the replicas whose last normal
// (view, session) is the newest, the longest log, with every NO-OP any of them holds — and the new
// session starts at seq 1 right after the merged log. docs/protocol.md explains why every view change
// also starts a new session.
import { leaderOf } from '../mrtom/group.js';
import { MessageType, type Header } from '../mrtom/header.js';
import { replaceWithNoop, truncateAfter } from './log.js';
import { learnCommit, sessionStart } from './normal.js';
import { logRequest, peerHeader } from './gap.js';
import { encodePeerMessage, type StartViewBody, type ViewChangeBody } from './peer-messages.js';
import {
  compareLastNormal,
  currentViewId,
  isLeader,
  isNewer,
  joinedViewId,
  nextSequencer,
  peersOf,
  sameViewId,
  type ReplicaState,
  type ViewId,
} from './state.js';
import type { ReplicaEffect } from './types.js';

export type ViewChangeReason =
  'leader-silent' | 'sequencer-silent' | 'no-session' | 'noops-exhausted' | 'peer-request' | 'stalled' | 'newer-view';

function persistView(state: ReplicaState): ReplicaEffect {
  return { kind: 'persist-view', view: { ...state.vs } };
}

/** Moves to view-change status for `target` and votes: persist the promise first, then tell everyone. */
export function startViewChange(state: ReplicaState, target: ViewId, reason: ViewChangeReason, nowMs: number): ReplicaEffect[] {
  const suspect = reason === 'sequencer-silent' || (state.viewChange?.sequencerSuspect ?? false);
  state.status = 'view-change';
  state.vs = { ...state.vs, view: target.view, session: target.session };
  state.viewChange = { startedMs: nowMs, sentMs: nowMs, sequencerSuspect: suspect, votes: new Map(), merge: null };
  state.preVote = null;
  state.install = null;
  state.startView = null;
  state.sessionStartSentMs = null;
  state.pending.clear();
  state.gap = null;
  state.counters.viewChanges += 1;
  return [persistView(state), ...sendVotes(state, nowMs)];
}

function ownVote(state: ReplicaState): ViewChangeBody {
  const base = state.vs.sessionBase;
  return {
    lastNormalView: state.vs.lastNormalView,
    lastNormalSession: state.vs.lastNormalSession,
    lastNormalBase: base,
    through: state.through,
    commit: state.commit,
    noops: state.sessionNoops.map((seq) => base + seq).filter((slot) => slot <= state.through),
  };
}

/** VIEW_CHANGE_REQUEST to every peer and our VIEW_CHANGE to the new leader (resent until it is done). */
export function sendVotes(state: ReplicaState, nowMs: number): ReplicaEffect[] {
  const effects: ReplicaEffect[] = [];
  const header = peerHeader(state);
  const request = encodePeerMessage(MessageType.VIEW_CHANGE_REQUEST, header);
  for (const to of peersOf(state)) effects.push({ kind: 'send', to: { replica: to }, bytes: request });
  const leader = leaderOf(state.options.replicaIds, state.vs.view);
  if (leader === state.options.id) {
    state.viewChange?.votes.set(state.options.id, ownVote(state));
    return [...effects, ...maybeMerge(state, nowMs)];
  }
  effects.push({ kind: 'send', to: { replica: leader }, bytes: encodePeerMessage(MessageType.VIEW_CHANGE, header, ownVote(state)) });
  return effects;
}

function targetOf(header: Header): ViewId {
  return { view: header.view, session: header.session };
}

/** Someone asks for a view change: join it (component-wise max), or re-vote if it is ours already. */
export function onViewChangeRequest(state: ReplicaState, header: Header, nowMs: number): ReplicaEffect[] {
  if (state.status === 'recovering') return [];
  const target = joinedViewId(currentViewId(state), targetOf(header));
  return target ? startViewChange(state, target, 'peer-request', nowMs) : [];
}

/** The new leader collects votes; a vote for a view it already leads gets the START_VIEW again. */
export function onViewChange(state: ReplicaState, from: number, header: Header, vote: ViewChangeBody, nowMs: number): ReplicaEffect[] {
  if (state.status === 'recovering') return [];
  const target = targetOf(header);
  if (leaderOf(state.options.replicaIds, target.view) !== state.options.id) return [];
  const effects: ReplicaEffect[] = [];
  const joined = joinedViewId(currentViewId(state), target);
  // A vote for an incomparable view-id moves us to the maximum; the voter follows our request there.
  if (joined) effects.push(...startViewChange(state, joined, 'peer-request', nowMs));
  if (!sameViewId(target, currentViewId(state))) return effects;
  if (state.status === 'normal') {
    const body = state.startView?.body ?? runningViewStart(state);
    return [...effects, { kind: 'send', to: { replica: from }, bytes: encodePeerMessage(MessageType.START_VIEW, peerHeader(state), body) }];
  }
  if (state.status !== 'view-change' || !state.viewChange) return effects;
  state.viewChange.votes.set(from, vote);
  return [...effects, ...maybeMerge(state, nowMs)];
}

/**
 * A START_VIEW for the view this leader runs when it no longer has the one it sent (it restarted since):
 * its log up to sessionBase is the merged log, NO-OPs in place, so it names itself as the merge. A
 * follower whose last normal view is older keeps only what it knows committed and fetches the rest here.
 */
function runningViewStart(state: ReplicaState): StartViewBody {
  const { vs } = state;
  return {
    sequencerId: vs.sequencerId,
    sessionBase: vs.sessionBase,
    commit: state.commit,
    mergedView: vs.view,
    mergedSession: vs.session,
    mergedBase: vs.sessionBase,
    noops: [],
  };
}

/** With a quorum of votes, plans the merged log; the START_VIEW goes out once this leader holds all of it. */
function maybeMerge(state: ReplicaState, nowMs: number): ReplicaEffect[] {
  const progress = state.viewChange;
  if (!progress || progress.merge || progress.votes.size < state.f + 1) return [];
  const votes = [...progress.votes.entries()];
  const newest = votes.reduce((best, [, v]) => (compareLastNormal(lastNormalOf(v), lastNormalOf(best)) > 0 ? v : best), votes[0]![1]);
  const group = votes.filter(([, v]) => compareLastNormal(lastNormalOf(v), lastNormalOf(newest)) === 0);
  const [source, longest] = group.reduce((best, entry) => (entry[1].through > best[1].through ? entry : best));
  const noops = new Set(group.flatMap(([, v]) => v.noops));
  const commit = Math.max(...votes.map(([, v]) => v.commit));
  const end = Math.max(longest.through, commit);
  const keepSequencer = !progress.sequencerSuspect || state.vs.lastNormalSession === 0;
  const body: StartViewBody = {
    sequencerId: keepSequencer ? state.vs.sequencerId : nextSequencer(state),
    sessionBase: end,
    commit,
    mergedView: newest.lastNormalView,
    mergedSession: newest.lastNormalSession,
    mergedBase: newest.lastNormalBase,
    noops: [...noops].sort((a, b) => a - b),
  };
  progress.merge = { body, source, askedMs: Number.NEGATIVE_INFINITY };
  const effects = reconcile(state, body);
  return [...effects, ...continueMerge(state, nowMs)];
}

function lastNormalOf(vote: ViewChangeBody): ViewId {
  return { view: vote.lastNormalView, session: vote.lastNormalSession };
}

/** Makes this replica's log a prefix of the merged log: keep what matches, drop the rest, impose NO-OPs. */
function reconcile(state: ReplicaState, body: StartViewBody): ReplicaEffect[] {
  const merged = { view: body.mergedView, session: body.mergedSession };
  const mine = { view: state.vs.lastNormalView, session: state.vs.lastNormalSession };
  // An older last-normal log may diverge anywhere above what this replica knows committed.
  const keepThrough =
    compareLastNormal(mine, merged) === 0
      ? Math.min(state.through, body.sessionBase, firstUnmergedNoop(state, body) - 1)
      : Math.max(state.applied, Math.min(state.commit, state.through));
  const effects = truncateAfter(state, keepThrough);
  state.noopOverlay = new Set(body.noops);
  for (const slot of body.noops) {
    const held = state.log.get(slot);
    if (slot <= state.through && held && !held.noop && slot > state.applied) {
      effects.push(...replaceWithNoop(state, { ...held, body: new Uint8Array(0), noop: true, clientId: 0, requestId: 0 }));
    }
  }
  if (body.commit > state.commit) state.commit = Math.min(body.commit, body.sessionBase);
  return effects;
}

/**
 * A NO-OP this replica holds that the merge did not keep was never committed (a committed NO-OP is held by
 * a quorum, which the votes intersect): it was decided by a leader cut off from the quorum, and the merged
 * log may hold the request there. Everything from it on is fetched again.
 */
function firstUnmergedNoop(state: ReplicaState, body: StartViewBody): number {
  const merged = new Set(body.noops);
  for (let slot = Math.max(state.applied + 1, body.mergedBase + 1); slot <= state.through; slot++) {
    if (state.log.get(slot)?.noop && !merged.has(slot)) return slot;
  }
  return Number.POSITIVE_INFINITY;
}

/** Leader side: fetch what the merged log has and this leader lacks; start the view once complete. */
export function continueMerge(state: ReplicaState, nowMs: number): ReplicaEffect[] {
  const merge = state.viewChange?.merge;
  if (!merge) return [];
  if (state.through >= merge.body.sessionBase) return enterView(state, merge.body, nowMs);
  if (nowMs - merge.askedMs < state.options.timing.gapRequestIntervalMs) return [];
  merge.askedMs = nowMs;
  return [logRequest(state, merge.source, state.through + 1, merge.body.sessionBase, merge.body.sessionBase)];
}

/** A follower installs the new leader's START_VIEW. */
export function onStartView(state: ReplicaState, from: number, header: Header, body: StartViewBody, nowMs: number): ReplicaEffect[] {
  const target = targetOf(header);
  if (leaderOf(state.options.replicaIds, target.view) !== from || from === state.options.id) return [];
  const current = currentViewId(state);
  const accept = isNewer(target, current) || (sameViewId(target, current) && state.status !== 'normal');
  if (!accept) {
    // Already normal in this view: the leader did not see our reply.
    if (sameViewId(target, current) && state.status === 'normal') return [startViewReply(state, from)];
    // A view-id ahead of ours in one component only: we promised not to go back in the other, so we
    // move to the maximum instead, and that view's leader follows.
    const joined = joinedViewId(current, target);
    return joined ? startViewChange(state, joined, 'newer-view', nowMs) : [];
  }
  const effects: ReplicaEffect[] = [];
  if (state.status === 'recovering' && state.recovery) state.recovery = null;
  state.status = 'view-change';
  state.vs = { ...state.vs, view: target.view, session: target.session };
  state.viewChange = null;
  state.lastHeardLeaderMs = nowMs;
  effects.push(...reconcile(state, body));
  state.install = { leader: from, body, askedMs: Number.NEGATIVE_INFINITY };
  return [...effects, ...continueInstall(state, nowMs)];
}

/** Follower side: fetch the rest of the merged log from the leader, then enter the view. */
export function continueInstall(state: ReplicaState, nowMs: number): ReplicaEffect[] {
  const install = state.install;
  if (!install) return [];
  if (state.through >= install.body.sessionBase) {
    state.install = null;
    return [...enterView(state, install.body, nowMs), startViewReply(state, install.leader)];
  }
  if (nowMs - install.askedMs < state.options.timing.gapRequestIntervalMs) return [];
  install.askedMs = nowMs;
  return [logRequest(state, install.leader, state.through + 1, install.body.sessionBase, install.body.sessionBase)];
}

function startViewReply(state: ReplicaState, leader: number): ReplicaEffect {
  return { kind: 'send', to: { replica: leader }, bytes: encodePeerMessage(MessageType.START_VIEW_REPLY, peerHeader(state)) };
}

/** Normal status in the new (view, session): the merged log ends at sessionBase, seq 1 follows it. */
function enterView(state: ReplicaState, body: StartViewBody, nowMs: number): ReplicaEffect[] {
  // A snapshot installed while fetching may already reach into the new session: keep what it applied.
  const effects = truncateAfter(state, Math.max(body.sessionBase, state.applied));
  state.status = 'normal';
  state.vs = {
    ...state.vs,
    sequencerId: body.sequencerId,
    sequencerIncarnation: 0, // Bound by the leader once it hears the session's sequencer.
    sessionBase: body.sessionBase,
    lastNormalView: state.vs.view,
    lastNormalSession: state.vs.session,
  };
  state.viewChange = null;
  state.preVote = null;
  state.noopOverlay = new Set();
  state.sessionNoops = [];
  state.noopsIncomplete = false;
  state.pending.clear();
  state.gap = null;
  state.highestKnownSlot = Math.max(state.highestKnownSlot, body.sessionBase);
  state.becameNormalMs = nowMs;
  state.lastHeardLeaderMs = nowMs;
  state.ackDue = true;
  effects.push(persistView(state));
  if (isLeader(state)) {
    state.startView = { body, replies: new Set(), sentMs: nowMs };
    const bytes = encodePeerMessage(MessageType.START_VIEW, peerHeader(state), body);
    for (const to of peersOf(state)) effects.push({ kind: 'send', to: { replica: to }, bytes });
    effects.push(...sessionStart(state, nowMs));
    // With no followers to wait for (a single replica), the merged log is committed right away.
    if (state.f === 0) effects.push(...learnCommit(state, body.sessionBase));
  }
  effects.push(...learnCommit(state, Math.min(body.commit, body.sessionBase)));
  return effects;
}

/** Leader: f followers hold the merged log, so all of it is committed. */
export function onStartViewReply(state: ReplicaState, from: number, header: Header): ReplicaEffect[] {
  const startView = state.startView;
  if (!startView || state.status !== 'normal' || !sameViewId(targetOf(header), currentViewId(state))) return [];
  startView.replies.add(from);
  if (startView.replies.size < state.f) return [];
  return learnCommit(state, startView.body.sessionBase);
}

/** Leader: resend START_VIEW to followers that have not confirmed it. */
export function resendStartView(state: ReplicaState, nowMs: number): ReplicaEffect[] {
  const startView = state.startView;
  if (!startView || !isLeader(state) || startView.replies.size >= state.f) return [];
  if (nowMs - startView.sentMs < state.options.timing.resendIntervalMs) return [];
  startView.sentMs = nowMs;
  const bytes = encodePeerMessage(MessageType.START_VIEW, peerHeader(state), startView.body);
  return peersOf(state)
    .filter((id) => !startView.replies.has(id))
    .map((id) => ({ kind: 'send' as const, to: { replica: id }, bytes }));
}
