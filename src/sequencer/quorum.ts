// The commit rule (docs/design.md §2 step 3, §3 gap agreement): a seq is committed once the leader of the
// session's view AND f other replicas hold it in agreement with the leader. This is NOPaxos's client-side
// quorum rule moved into the sequencer, so a set of followers without the leader can never commit, however
// large it is. "In agreement" covers NO-OPs: a follower that holds the request at a seq the leader filled
// with a NO-OP (or the reverse) does not hold that seq — nor anything after it — until its list agrees.
import assert from 'node:assert/strict';

/** What one replica reported in its latest ACK of the session. */
export interface ReplicaProgress {
  /** "My log holds every seq <= through." */
  through: number;
  /** The seqs <= through it holds as NO-OPs, ascending and without duplicates. */
  noops: readonly number[];
}

/** The first seq above `above` in exactly one of two ascending NO-OP lists, or Infinity if they agree
 *  there. Seqs at or below the commit point are settled, so a list that forgot some of them (a replica
 *  restarted with a trimmed log window) still agrees. */
export function firstDisagreement(noops: readonly number[], leaderNoops: readonly number[], above = 0): number {
  // Bounded by the two lists' lengths, each at most NOOPS_PER_SESSION_MAX.
  let i = 0;
  let j = 0;
  while (i < noops.length && (noops[i] as number) <= above) i += 1;
  while (j < leaderNoops.length && (leaderNoops[j] as number) <= above) j += 1;
  while (i < noops.length && j < leaderNoops.length) {
    const mine = noops[i] as number;
    const theirs = leaderNoops[j] as number;
    if (mine !== theirs) return Math.min(mine, theirs);
    i += 1;
    j += 1;
  }
  return noops[i] ?? leaderNoops[j] ?? Infinity;
}

/** The largest k such that `replica` holds every seq <= k with the same NO-OPs as the leader. */
export function agreedThrough(replica: ReplicaProgress, leader: ReplicaProgress, committed = 0): number {
  return Math.min(replica.through, firstDisagreement(replica.noops, leader.noops, committed) - 1);
}

/**
 * The largest seq held by `leaderId` and, in agreement with it, by at least `f` other replicas. Not
 * monotonic by itself (a follower's list may lag the leader's); the caller keeps commit from moving back.
 */
export function commitPoint(progress: ReadonlyMap<number, ReplicaProgress>, leaderId: number, f: number, committed = 0): number {
  const leader = progress.get(leaderId);
  assert.ok(leader !== undefined, `leader ${leaderId} has no progress`);
  if (f === 0) return leader.through;
  const others = [...progress].filter(([id]) => id !== leaderId).map(([, replica]) => agreedThrough(replica, leader, committed));
  assert.ok(others.length >= f, `need ${f} replicas besides the leader, have ${others.length}`);
  others.sort((a, b) => b - a);
  // others[f - 1] is the highest seq that at least f non-leader replicas all hold in agreement.
  return Math.min(leader.through, others[f - 1] as number);
}
