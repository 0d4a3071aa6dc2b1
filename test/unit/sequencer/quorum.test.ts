// Proves the commit rule in isolation: commit = the largest seq held by the view's leader and by f other
// replicas; table-driven over throughs, leaders and group sizes.
import { describe, expect, it } from 'vitest';
import { commitPoint, faultsToleratedOf, leaderOf } from '../../../src/sequencer/quorum.js';

describe('commitPoint', () => {
  const cases: { name: string; throughs: [number, number][]; leader: number; commit: number }[] = [
    { name: 'leader alone in 3', throughs: [[1, 9], [2, 0], [3, 0]], leader: 1, commit: 0 },
    { name: 'leader + 1 of 3', throughs: [[1, 9], [2, 4], [3, 0]], leader: 1, commit: 4 },
    { name: 'leader behind its quorum', throughs: [[1, 2], [2, 9], [3, 9]], leader: 1, commit: 2 },
    { name: 'all followers of 3, no leader', throughs: [[1, 0], [2, 9], [3, 9]], leader: 1, commit: 0 },
    { name: 'leader + 1 of 5 (f = 2)', throughs: [[1, 9], [2, 9], [3, 0], [4, 0], [5, 0]], leader: 1, commit: 0 },
    { name: 'leader + 2 of 5', throughs: [[1, 9], [2, 7], [3, 5], [4, 0], [5, 0]], leader: 1, commit: 5 },
    { name: 'four followers of 5, no leader', throughs: [[1, 0], [2, 9], [3, 9], [4, 9], [5, 9]], leader: 1, commit: 0 },
    { name: 'leader of a later view', throughs: [[1, 9], [2, 3], [3, 9]], leader: 2, commit: 3 },
    { name: 'single replica (f = 0)', throughs: [[1, 6]], leader: 1, commit: 6 },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const throughs = new Map(c.throughs);
      expect(commitPoint(throughs, c.leader, faultsToleratedOf(throughs.size))).toBe(c.commit);
    });
  }
});

describe('leaderOf', () => {
  it('rotates through the replica ids by view', () => {
    expect([0, 1, 2, 3, 4].map((view) => leaderOf([4, 7, 9], view))).toEqual([4, 7, 9, 4, 7]);
  });
});
