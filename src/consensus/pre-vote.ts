// Pre-vote (Raft thesis §9.6, adapted): a replica that suspects its leader — no SYNC for the leader timeout,
// or a view change that stalled — first asks its peers whether they would join a change to the next view,
// and moves its view only with f+1 "yes" (its own included). A replica cut off from the others therefore
// keeps its view instead of climbing ever higher, and when it comes back it rejoins the running view
// rather than forcing everyone into a view change (docs/protocol.md, "Pre-vote").
import { MessageType, type Header } from '../mrtom/header.js';
import { encodePeerMessage } from './peer-messages.js';
import { currentViewId, isLeader, joinedViewId, peersOf, sameViewId, type ReplicaState, type ViewId } from './state.js';
import type { ReplicaEffect } from './types.js';
import { startViewChange, type ViewChangeReason } from './view-change.js';

function preVoteMessage(state: ReplicaState, type: MessageType, target: ViewId): Uint8Array {
  return encodePeerMessage(type, { group: state.options.group, ...target, sender: state.options.id });
}

/** The leader of the current view seems gone: ask for the next view, and move there once f+1 agree. */
export function suspectLeader(
  state: ReplicaState,
  reason: Extract<ViewChangeReason, 'leader-silent' | 'stalled'>,
  nowMs: number,
): ReplicaEffect[] {
  const target = { view: state.vs.view + 1, session: state.vs.session + 1 };
  if (!state.preVote || !sameViewId(state.preVote.target, target)) {
    state.preVote = { target, grants: new Set(), sentMs: Number.NEGATIVE_INFINITY };
  }
  if (state.preVote.grants.size + 1 >= state.f + 1) return startViewChange(state, target, reason, nowMs);
  if (nowMs - state.preVote.sentMs < state.options.timing.resendIntervalMs) return [];
  state.preVote.sentMs = nowMs;
  const bytes = preVoteMessage(state, MessageType.PRE_VOTE, target);
  return peersOf(state).map((id) => ({ kind: 'send' as const, to: { replica: id }, bytes }));
}

/** The leader was heard again: whatever was asked no longer holds. */
export function leaderHeard(state: ReplicaState): void {
  state.preVote = null;
}

/**
 * Grants a pre-vote for a view-id ahead of ours unless this replica still has a working leader: it is that
 * leader, or it is a normal follower that heard the leader within the leader timeout. A working leader is
 * no reason to refuse an asker already past our view (it asks for the view after its own): views only
 * grow, so it can never rejoin ours, and without the grant a group whose newer leader died stays split
 * for good. Granting changes nothing.
 */
export function onPreVote(state: ReplicaState, from: number, header: Header, nowMs: number): ReplicaEffect[] {
  const target = { view: header.view, session: header.session };
  if (state.status === 'recovering' || !joinedViewId(currentViewId(state), target)) return [];
  const askerPastOurView = target.view - 1 > state.vs.view;
  if (state.status === 'normal' && !askerPastOurView) {
    if (isLeader(state)) return [];
    const heardMs = Math.max(state.lastHeardLeaderMs, state.becameNormalMs);
    if (nowMs - heardMs <= state.options.timing.leaderTimeoutMs) return [];
  }
  return [{ kind: 'send', to: { replica: from }, bytes: preVoteMessage(state, MessageType.PRE_VOTE_REPLY, target) }];
}

export function onPreVoteReply(state: ReplicaState, from: number, header: Header, nowMs: number): ReplicaEffect[] {
  const preVote = state.preVote;
  if (!preVote || !sameViewId(preVote.target, { view: header.view, session: header.session })) return [];
  preVote.grants.add(from);
  if (preVote.grants.size + 1 < state.f + 1) return [];
  // The reason only labels the change; both suspicions lead to the same next view.
  return startViewChange(state, preVote.target, state.status === 'normal' ? 'leader-silent' : 'stalled', nowMs);
}
