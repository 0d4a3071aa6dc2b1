// Proves the commit rule in isolation: commit = the largest seq held by the view's leader and, with the
// same NO-OPs up to that seq, by f other replicas; table-driven over throughs, NO-OP lists, leaders, sizes.
import { describe, expect, it } from 'vitest';
import { agreedThrough, commitPoint, firstDisagreement, type ReplicaProgress } from '../../../src/sequencer/quorum.js';
import { faultsToleratedOf, leaderOf } from '../../../src/mrtom/group.js';

/** [replica id, through, NO-OPs] */
type Row = [number, number, number[]?];

function progress(rows: Row[]): Map<number, ReplicaProgress> {
  return new Map(rows.map(([id, through, noops]) => [id, { through, noops: noops ?? [] }]));
}

describe('commitPoint', () => {
  const cases: { name: string; rows: Row[]; leader: number; commit: number }[] = [
    {
      name: 'leader alone in 3',
      rows: [
        [1, 9],
        [2, 0],
        [3, 0],
      ],
      leader: 1,
      commit: 0,
    },
    {
      name: 'leader + 1 of 3',
      rows: [
        [1, 9],
        [2, 4],
        [3, 0],
      ],
      leader: 1,
      commit: 4,
    },
    {
      name: 'leader behind its quorum',
      rows: [
        [1, 2],
        [2, 9],
        [3, 9],
      ],
      leader: 1,
      commit: 2,
    },
    {
      name: 'all followers of 3, no leader',
      rows: [
        [1, 0],
        [2, 9],
        [3, 9],
      ],
      leader: 1,
      commit: 0,
    },
    {
      name: 'leader + 1 of 5 (f = 2)',
      rows: [
        [1, 9],
        [2, 9],
        [3, 0],
        [4, 0],
        [5, 0],
      ],
      leader: 1,
      commit: 0,
    },
    {
      name: 'leader + 2 of 5',
      rows: [
        [1, 9],
        [2, 7],
        [3, 5],
        [4, 0],
        [5, 0],
      ],
      leader: 1,
      commit: 5,
    },
    {
      name: 'four followers of 5, no leader',
      rows: [
        [1, 0],
        [2, 9],
        [3, 9],
        [4, 9],
        [5, 9],
      ],
      leader: 1,
      commit: 0,
    },
    {
      name: 'leader of a later view',
      rows: [
        [1, 9],
        [2, 3],
        [3, 9],
      ],
      leader: 2,
      commit: 3,
    },
    { name: 'single replica (f = 0)', rows: [[1, 6, [2]]], leader: 1, commit: 6 },
    // NO-OP agreement (docs/design.md §3 gap agreement).
    {
      name: 'same NO-OPs on both sides count in full',
      rows: [
        [1, 9, [4]],
        [2, 9, [4]],
        [3, 0],
      ],
      leader: 1,
      commit: 9,
    },
    {
      name: 'follower holds the request where the leader has a NO-OP: counts only below it',
      rows: [
        [1, 9, [4]],
        [2, 9],
        [3, 0],
      ],
      leader: 1,
      commit: 3,
    },
    {
      name: 'the same follower, once it reports the NO-OP',
      rows: [
        [1, 9, [4]],
        [2, 9, [4]],
        [3, 0],
      ],
      leader: 1,
      commit: 9,
    },
    {
      name: 'follower has a NO-OP the leader holds as a request',
      rows: [
        [1, 9],
        [2, 9, [6]],
        [3, 0],
      ],
      leader: 1,
      commit: 5,
    },
    {
      name: 'another follower agreeing carries the quorum',
      rows: [
        [1, 9, [4]],
        [2, 9],
        [3, 7, [4]],
      ],
      leader: 1,
      commit: 7,
    },
    {
      name: 'disagreement at seq 1 counts nothing',
      rows: [
        [1, 9, [1]],
        [2, 9],
        [3, 9],
      ],
      leader: 1,
      commit: 0,
    },
    {
      name: 'follower behind the leader NO-OP is not penalised below it',
      rows: [
        [1, 9, [6]],
        [2, 4],
        [3, 0],
      ],
      leader: 1,
      commit: 4,
    },
    {
      name: 'follower NO-OPs above the leader through do not matter',
      rows: [
        [1, 5],
        [2, 9, [8]],
        [3, 0],
      ],
      leader: 1,
      commit: 5,
    },
    {
      name: 'differing in the second of two NO-OPs',
      rows: [
        [1, 9, [2, 5]],
        [2, 9, [2, 7]],
        [3, 0],
      ],
      leader: 1,
      commit: 4,
    },
    {
      name: 'f = 2 needs two agreeing followers',
      rows: [
        [1, 9, [3]],
        [2, 9, [3]],
        [3, 9],
        [4, 9],
        [5, 6, [3]],
      ],
      leader: 1,
      commit: 6,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const rows = progress(c.rows);
      expect(commitPoint(rows, c.leader, faultsToleratedOf(rows.size))).toBe(c.commit);
    });
  }
});

describe('agreedThrough and firstDisagreement', () => {
  const cases: { mine: number[]; leader: number[]; first: number }[] = [
    { mine: [], leader: [], first: Infinity },
    { mine: [3], leader: [3], first: Infinity },
    { mine: [], leader: [3], first: 3 },
    { mine: [5], leader: [], first: 5 },
    { mine: [2, 4], leader: [2, 6], first: 4 },
    { mine: [2, 4, 6], leader: [2, 4], first: 6 },
  ];
  for (const c of cases) {
    it(`[${c.mine}] vs leader [${c.leader}] first differ at ${c.first}`, () => {
      expect(firstDisagreement(c.mine, c.leader)).toBe(c.first);
      expect(firstDisagreement(c.leader, c.mine)).toBe(c.first);
      expect(agreedThrough({ through: 10, noops: c.mine }, { through: 10, noops: c.leader })).toBe(Math.min(10, c.first - 1));
    });
  }
});

describe('leaderOf', () => {
  it('rotates through the replica ids by view', () => {
    expect([0, 1, 2, 3, 4].map((view) => leaderOf([4, 7, 9], view))).toEqual([4, 7, 9, 4, 7]);
  });
});
