// The replica group as every part of MRTOM sees it (docs/design.md §2, §3): replica ids in view order,
// the leader of a view, and how many replicas may fail. The sequencer's commit rule and the replicas'
// protocol must agree on both, so they are defined here once.
import assert from 'node:assert/strict';

/** The leader of view `view` is replicaIds[view mod n]. */
export function leaderOf(replicaIds: readonly number[], view: number): number {
  const leader = replicaIds[view % replicaIds.length];
  assert.ok(leader !== undefined, 'replicaIds must not be empty');
  return leader;
}

/** f: the replicas that may fail in a group of n = 2f+1 (a quorum is f+1). */
export function faultsToleratedOf(replicaCount: number): number {
  assert.ok(Number.isInteger(replicaCount) && replicaCount >= 1, `replica count must be >= 1, got ${replicaCount}`);
  return Math.floor((replicaCount - 1) / 2);
}
