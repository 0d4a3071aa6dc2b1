// Keeping the group moving: the leader's periodic SYNC (commit point, NO-OPs, "I am alive"), and the
// timeouts that start a view change when the leader or the sequencer goes silent or a change stalls.
import { leaderOf } from '../mrtom/group.js';
import { MessageType, type Header } from '../mrtom/header.js';
import { NOOPS_PER_SESSION_MAX } from '../mrtom/messages.js';
import { imposeNoop } from './log.js';
import { learnCommit, noteKnownSlot, sessionStart } from './normal.js';
import { onGapTick, peerHeader } from './gap.js';
import { encodePeerMessage, type SyncBody } from './peer-messages.js';
import { currentViewId, isLeader, joinedViewId, peersOf, sameViewId, type ReplicaState } from './state.js';
import { continueInstall, continueMerge, resendStartView, sendVotes, startViewChange } from './view-change.js';
import { resendRecovery } from './recovery.js';
import { leaderHeard, suspectLeader } from './pre-vote.js';
import type { ReplicaEffect } from './types.js';

function sync(state: ReplicaState, nowMs: number): ReplicaEffect[] {
  state.lastSyncSentMs = nowMs;
  const body: SyncBody = {
    commit: state.commit,
    through: state.through,
    noops: state.sessionNoops,
    incarnation: state.vs.sequencerIncarnation,
  };
  const bytes = encodePeerMessage(MessageType.SYNC, peerHeader(state), body);
  return peersOf(state).map((id) => ({ kind: 'send' as const, to: { replica: id }, bytes }));
}

export function onSync(state: ReplicaState, from: number, header: Header, body: SyncBody, nowMs: number): ReplicaEffect[] {
  const target = { view: header.view, session: header.session };
  if (from !== leaderOf(state.options.replicaIds, target.view) || state.status === 'recovering') return [];
  const joined = joinedViewId(currentViewId(state), target);
  if (joined) {
    // A view we missed is already running: vote in it (or past it), and its leader answers.
    return startViewChange(state, joined, 'newer-view', nowMs);
  }
  if (!sameViewId(target, currentViewId(state))) return [];
  state.lastHeardLeaderMs = nowMs;
  if (state.status !== 'normal') return [];
  const effects: ReplicaEffect[] = [];
  if (state.vs.sequencerIncarnation === 0 && body.incarnation !== 0) {
    // The leader's binding, made durable before this replica acks anything of the session.
    state.vs = { ...state.vs, sequencerIncarnation: body.incarnation };
    effects.push({ kind: 'persist-view', view: { ...state.vs } });
  }
  for (const seq of body.noops) effects.push(...imposeNoop(state, state.vs.sessionBase + seq));
  noteKnownSlot(state, body.through, nowMs);
  return [...effects, ...learnCommit(state, body.commit)];
}

export function onTick(state: ReplicaState, nowMs: number): ReplicaEffect[] {
  const { timing } = state.options;
  switch (state.status) {
    case 'recovering':
      return resendRecovery(state, nowMs);
    case 'view-change': {
      // A change that stalls is asked to move on (pre-vote.ts); until f+1 agree, this one carries on.
      const stalled = state.install
        ? nowMs - state.lastHeardLeaderMs > timing.leaderTimeoutMs
        : state.viewChange !== null && nowMs - state.viewChange.startedMs > timing.viewChangeTimeoutMs;
      if (!stalled) return continueViewChange(state, nowMs);
      const { view, session } = state.vs;
      const asked = suspectLeader(state, 'stalled', nowMs);
      return state.vs.view !== view || state.vs.session !== session ? asked : [...asked, ...continueViewChange(state, nowMs)];
    }
    case 'normal':
      return isLeader(state) ? leaderTick(state, nowMs) : followerTick(state, nowMs);
  }
}

/** Resends of a view change under way: the install's log fetch, the merge, or the votes. */
function continueViewChange(state: ReplicaState, nowMs: number): ReplicaEffect[] {
  if (state.install) return continueInstall(state, nowMs);
  const progress = state.viewChange;
  if (!progress) return [];
  if (progress.merge) return continueMerge(state, nowMs);
  if (nowMs - progress.sentMs < state.options.timing.resendIntervalMs) return [];
  progress.sentMs = nowMs;
  return sendVotes(state, nowMs);
}

function leaderTick(state: ReplicaState, nowMs: number): ReplicaEffect[] {
  const { timing } = state.options;
  if (state.vs.session === 0 || state.noopsIncomplete) {
    return startViewChange(state, { view: state.vs.view, session: state.vs.session + 1 }, 'no-session', nowMs);
  }
  // ACK, COMMIT, HEARTBEAT and SYNC carry the session's whole NO-OP list, bounded so it fits a datagram.
  if (state.sessionNoops.length >= NOOPS_PER_SESSION_MAX) {
    return startViewChange(state, { view: state.vs.view, session: state.vs.session + 1 }, 'noops-exhausted', nowMs);
  }
  const heardMs = Math.max(state.lastHeardSequencerMs, state.becameNormalMs);
  if (nowMs - heardMs > timing.sequencerTimeoutMs) {
    return startViewChange(state, { view: state.vs.view, session: state.vs.session + 1 }, 'sequencer-silent', nowMs);
  }
  const effects = [...onGapTick(state, nowMs), ...resendStartView(state, nowMs)];
  if (state.sessionStartSentMs !== null && nowMs - state.sessionStartSentMs >= timing.resendIntervalMs)
    effects.push(...sessionStart(state, nowMs));
  if (nowMs - state.lastSyncSentMs >= timing.syncIntervalMs) effects.push(...sync(state, nowMs));
  return effects;
}

function followerTick(state: ReplicaState, nowMs: number): ReplicaEffect[] {
  if (nowMs - Math.max(state.lastHeardLeaderMs, state.becameNormalMs) > state.options.timing.leaderTimeoutMs) {
    const asked = suspectLeader(state, 'leader-silent', nowMs);
    return state.status === 'normal' ? [...asked, ...onGapTick(state, nowMs)] : asked;
  }
  leaderHeard(state);
  return onGapTick(state, nowMs);
}

/**
 * The leader binds its session to the first sequencer process it hears in it, durably, and tells the
 * followers at once. Only that process's stamps are ever taken in this session.
 */
export function bindIncarnation(state: ReplicaState, incarnation: number, nowMs: number): ReplicaEffect[] {
  state.vs = { ...state.vs, sequencerIncarnation: incarnation };
  return [{ kind: 'persist-view', view: { ...state.vs } }, ...sync(state, nowMs)];
}

/**
 * Another process now serves the session the leader bound to a sequencer: that one restarted and was
 * handed the same session again (a SESSION_START still in flight). Its stamps would reuse seqs, so the
 * leader moves to a new session instead.
 */
export function onSequencerRestarted(state: ReplicaState, nowMs: number): ReplicaEffect[] {
  return startViewChange(state, { view: state.vs.view, session: state.vs.session + 1 }, 'sequencer-silent', nowMs);
}
