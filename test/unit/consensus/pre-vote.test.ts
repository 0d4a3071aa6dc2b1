// Pre-vote: a follower that stops hearing its leader asks its peers before it moves its view, so one that is
// cut off keeps its view (and rejoins without a view change), while f+1 that agree still change it; and a
// leader that restarted still answers a late vote for the view it runs (what the stalled voter now waits for).
// A replica already past the running view is never refused: it cannot come back to it.
import { describe, expect, it } from 'vitest';
import { stepReplica, type ReplicaState } from '../../../src/consensus/replica.js';
import { decodeStartView, encodePeerMessage } from '../../../src/consensus/peer-messages.js';
import type { ReplicaEffect } from '../../../src/consensus/types.js';
import { MessageType } from '../../../src/mrtom/header.js';
import { decodeDatagram } from '../../../src/mrtom/messages.js';
import { PROTOCOL_TIMING } from '../../../src/runtime/timing.js';
import { BOUND_INCARNATION, boundReplica } from './fixtures.js';

const SILENT_MS = PROTOCOL_TIMING.leaderTimeoutMs + 1;
const NEXT = { view: 1, session: 2 };

function fromPeer(
  state: ReplicaState,
  sender: number,
  type: MessageType,
  viewId: { view: number; session: number },
  nowMs: number,
  body?: object,
) {
  const bytes = encodePeerMessage(type, { group: 1, ...viewId, sender }, body);
  return stepReplica(state, { kind: 'datagram', from: { replica: sender }, bytes, nowMs });
}

function sends(effects: ReplicaEffect[], type: MessageType) {
  return effects.flatMap((effect) => {
    if (effect.kind !== 'send') return [];
    const { header } = decodeDatagram(effect.bytes);
    return header.type === type ? [{ to: effect.to, view: header.view, session: header.session }] : [];
  });
}

describe('pre-vote', () => {
  it('a follower cut off from everyone keeps its view however long its leader stays silent', () => {
    const follower = boundReplica(2);
    const asked = stepReplica(follower, { kind: 'tick', nowMs: SILENT_MS });
    expect(sends(asked, MessageType.PRE_VOTE)).toEqual([
      { to: { replica: 1 }, ...NEXT },
      { to: { replica: 3 }, ...NEXT },
    ]);
    for (let nowMs = SILENT_MS; nowMs < 20 * SILENT_MS; nowMs += 50) {
      const effects = stepReplica(follower, { kind: 'tick', nowMs });
      expect(effects.some((effect) => effect.kind === 'persist-view')).toBe(false);
    }
    expect(follower.status).toBe('normal');
    expect(follower.vs).toMatchObject({ view: 0, session: 1 });
  });

  it('one grant makes f+1 with its own: the follower moves to the next view', () => {
    const follower = boundReplica(2);
    stepReplica(follower, { kind: 'tick', nowMs: SILENT_MS });
    const started = fromPeer(follower, 3, MessageType.PRE_VOTE_REPLY, NEXT, SILENT_MS + 1);
    expect(started[0]).toMatchObject({ kind: 'persist-view', view: NEXT });
    expect(follower.status).toBe('view-change');
    // Replica 2 leads view 1: it asks both peers in and counts its own vote.
    expect(sends(started, MessageType.VIEW_CHANGE_REQUEST).map((message) => message.to)).toEqual([{ replica: 1 }, { replica: 3 }]);
  });

  it('the leader, and a follower that heard it within the leader timeout, refuse; a follower that did not grants', () => {
    expect(fromPeer(boundReplica(1), 2, MessageType.PRE_VOTE, NEXT, SILENT_MS)).toEqual([]);
    expect(fromPeer(boundReplica(3), 2, MessageType.PRE_VOTE, NEXT, SILENT_MS - 2)).toEqual([]);
    const granting = boundReplica(3);
    const reply = fromPeer(granting, 2, MessageType.PRE_VOTE, NEXT, SILENT_MS);
    expect(sends(reply, MessageType.PRE_VOTE_REPLY)).toEqual([{ to: { replica: 2 }, ...NEXT }]);
    // Granting promises nothing: the granter's own view is untouched.
    expect(granting.vs).toMatchObject({ view: 0, session: 1 });
    expect(fromPeer(granting, 2, MessageType.PRE_VOTE, { view: 0, session: 1 }, SILENT_MS)).toEqual([]);
  });

  it('the leader and a follower that hears it grant an asker already past their view (seed 759)', () => {
    // The asker moved to view 1 without us; it asks for view 2 because view 1's leader is gone. Views only
    // grow, so it cannot come back to view 0: refusing would keep the group split for good.
    const past = { view: 2, session: 3 };
    const leaderReply = fromPeer(boundReplica(1), 3, MessageType.PRE_VOTE, past, 10);
    expect(sends(leaderReply, MessageType.PRE_VOTE_REPLY)).toEqual([{ to: { replica: 3 }, ...past }]);
    const followerReply = fromPeer(boundReplica(2), 3, MessageType.PRE_VOTE, past, 10);
    expect(sends(followerReply, MessageType.PRE_VOTE_REPLY)).toEqual([{ to: { replica: 3 }, ...past }]);
  });

  it('hearing the leader again drops the question: a late grant changes nothing', () => {
    const follower = boundReplica(2);
    stepReplica(follower, { kind: 'tick', nowMs: SILENT_MS });
    const sync = { commit: 0, through: 0, noops: [], incarnation: BOUND_INCARNATION };
    fromPeer(follower, 1, MessageType.SYNC, { view: 0, session: 1 }, SILENT_MS + 10, sync);
    expect(sends(stepReplica(follower, { kind: 'tick', nowMs: SILENT_MS + 20 }), MessageType.PRE_VOTE)).toEqual([]);
    expect(fromPeer(follower, 3, MessageType.PRE_VOTE_REPLY, NEXT, SILENT_MS + 30)).toEqual([]);
    expect(follower.status).toBe('normal');
    expect(follower.vs.view).toBe(0);
  });
});

describe('a vote for the view a restarted leader runs', () => {
  it('is answered with a START_VIEW rebuilt from its log, naming the running view as the merge', () => {
    // Restored in normal status: the START_VIEW it sent before the restart is gone.
    const leader = boundReplica(1);
    const vote = { lastNormalView: 0, lastNormalSession: 0, lastNormalBase: 0, through: 0, commit: 0, noops: [] };
    const answer = fromPeer(leader, 3, MessageType.VIEW_CHANGE, { view: 0, session: 1 }, 10, vote);
    expect(sends(answer, MessageType.START_VIEW)).toEqual([{ to: { replica: 3 }, view: 0, session: 1 }]);
    const body = decodeStartView(decodeDatagram((answer[0] as { bytes: Uint8Array }).bytes).body);
    expect(body).toMatchObject({ sessionBase: 0, mergedView: 0, mergedSession: 1, sequencerId: 1 });
  });
});
