// Proves the nemesis aims at the right members: the leader and serving sequencer come from the newest
// view any replica reports, so a stale (isolated, paused, just restarted) replica that still believes
// in an old view cannot redirect a fault. How: rolesFrom over hand-made status reports.
import { describe, expect, it } from 'vitest';
import type { NodeStatus, ReplicaReport } from '../../src/client/cluster-status.js';
import { rolesFrom } from './cluster-view.js';

function report(id: number, view: number, session: number, sequencerId: number): ReplicaReport {
  const node: NodeStatus = { id, status: 'normal', view, session, sequencerId, commitSlot: 0, appliedSlot: 0, revision: 0, peers: [] };
  return { url: `http://10.66.1.${id}:7001`, node, ready: true, health: 'ready' };
}

describe('roles from the replicas’ own status', () => {
  it('take the newest view, not the one a stale replica reports', () => {
    const roles = rolesFrom([report(1, 0, 1, 1), report(2, 1, 2, 2), report(3, 1, 2, 2)], [1, 2, 3], [1, 2]);
    expect(roles).toMatchObject({
      view: 1,
      session: 2,
      leader: 'r2',
      followers: ['r1', 'r3'],
      servingSequencer: 's2',
      standbySequencers: ['s1'],
    });
  });

  it("take the serving sequencer from the leader's own report when it answered", () => {
    // r3 has not yet heard of the session change the leader r1 made in view 3.
    const roles = rolesFrom([report(1, 3, 5, 2), report(3, 3, 4, 1)], [1, 2, 3], [1, 2]);
    expect(roles).toMatchObject({ leader: 'r1', session: 5, servingSequencer: 's2' });
  });

  it('know nothing when no replica answered', () => {
    const down: ReplicaReport = { url: 'http://10.66.1.1:7001', ready: false, health: 'unreachable' };
    expect(rolesFrom([down], [1, 2, 3], [1, 2])).toBeNull();
  });
});
