// The commit rule (DESIGN.md §2 step 3; research/protocol.md "Implications" item 2): a seq is committed
// once the leader of the current view AND f other replicas report holding it in that view. This is
// NOPaxos's client-side quorum rule moved into the sequencer, so a set of followers without the leader
// can never commit, however large it is.
import assert from 'node:assert/strict';

/** Replicas that may fail in a group of n = 2f+1. */
export function faultsToleratedOf(replicaCount: number): number {
  assert.ok(Number.isInteger(replicaCount) && replicaCount >= 1, `replica count must be >= 1, got ${replicaCount}`);
  return Math.floor((replicaCount - 1) / 2);
}

export function leaderOf(replicaIds: readonly number[], view: number): number {
  const leader = replicaIds[view % replicaIds.length];
  assert.ok(leader !== undefined, 'replicaIds must not be empty');
  return leader;
}

/**
 * The largest seq held by `leaderId` and by at least `f` other replicas, given each replica's cumulative
 * `through` in the current view.
 */
export function commitPoint(throughs: ReadonlyMap<number, number>, leaderId: number, f: number): number {
  const leaderThrough = throughs.get(leaderId);
  assert.ok(leaderThrough !== undefined, `leader ${leaderId} has no through`);
  if (f === 0) return leaderThrough;
  const others = [...throughs].filter(([id]) => id !== leaderId).map(([, through]) => through);
  assert.ok(others.length >= f, `need ${f} replicas besides the leader, have ${others.length}`);
  others.sort((a, b) => b - a);
  // others[f - 1] is the highest seq that at least f non-leader replicas all hold.
  return Math.min(leaderThrough, others[f - 1] as number);
}
