// Recovery (docs/design.md §3; VR's recovery protocol): a replica that may have lost what it acknowledged
// (durability memory or async) restarts in recovering status, votes on nothing, and asks every peer for
// the current (view, session) with a nonce unique to this start. With f+1 answers, one of them from the
// leader of the newest view among them, it adopts that view and catches up from the leader like a
// lagging follower.
import { leaderOf } from '../mrtom/group.js';
import { MessageType, type Header } from '../mrtom/header.js';
import { truncateAfter } from './log.js';
import { peerHeader } from './gap.js';
import { encodePeerMessage, type RecoveryReplyBody } from './peer-messages.js';
import { compareLastNormal, peersOf, type ReplicaState } from './state.js';
import type { ReplicaEffect } from './types.js';

export function resendRecovery(state: ReplicaState, nowMs: number): ReplicaEffect[] {
  const recovery = state.recovery;
  if (!recovery || nowMs - recovery.sentMs < state.options.timing.resendIntervalMs) return [];
  recovery.sentMs = nowMs;
  const bytes = encodePeerMessage(MessageType.RECOVERY, peerHeader(state), { nonce: state.options.nonce });
  return peersOf(state).map((id) => ({ kind: 'send' as const, to: { replica: id }, bytes }));
}

/** Only a replica in normal status speaks for the group. */
export function onRecovery(state: ReplicaState, from: number, nonce: number): ReplicaEffect[] {
  if (state.status !== 'normal' || state.vs.session === 0) return [];
  const body: RecoveryReplyBody = {
    nonce,
    sequencerId: state.vs.sequencerId,
    sessionBase: state.vs.sessionBase,
    commit: state.commit,
    through: state.through,
  };
  return [{ kind: 'send', to: { replica: from }, bytes: encodePeerMessage(MessageType.RECOVERY_REPLY, peerHeader(state), body) }];
}

export function onRecoveryReply(
  state: ReplicaState,
  from: number,
  header: Header,
  reply: RecoveryReplyBody,
  nowMs: number,
): ReplicaEffect[] {
  const recovery = state.recovery;
  if (state.status !== 'recovering' || !recovery || reply.nonce !== state.options.nonce) return [];
  recovery.replies.set(from, { view: header.view, session: header.session, ...reply });
  if (recovery.replies.size < state.f + 1) return [];
  const newestId = [...recovery.replies.values()].reduce((best, r) => (compareLastNormal(r, best) > 0 ? r : best));
  // The leader of the newest view must be among the answers: its log is the one to catch up from.
  const newest = recovery.replies.get(leaderOf(state.options.replicaIds, newestId.view));
  if (!newest || compareLastNormal(newest, newestId) !== 0) return [];
  state.recovery = null;
  state.status = 'normal';
  state.vs = {
    view: newest.view,
    session: newest.session,
    sequencerId: newest.sequencerId,
    sequencerIncarnation: 0, // Learned from the leader's next SYNC.
    sessionBase: newest.sessionBase,
    lastNormalView: newest.view,
    lastNormalSession: newest.session,
  };
  // What this replica held above its applied state may be a lost or divergent tail: fetch it again.
  const effects = truncateAfter(state, state.applied);
  state.commit = Math.max(state.applied, Math.min(newest.commit, state.applied));
  state.highestKnownSlot = newest.through;
  state.sessionNoops = [];
  state.becameNormalMs = nowMs;
  state.lastHeardLeaderMs = nowMs;
  state.gap = {
    slot: state.through + 1,
    sinceMs: nowMs,
    askedSequencerMs: Number.NEGATIVE_INFINITY,
    askedPeersMs: Number.NEGATIVE_INFINITY,
  };
  return [{ kind: 'persist-view', view: { ...state.vs } }, ...effects];
}
