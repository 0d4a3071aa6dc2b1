// Who holds which role right now, as the replicas say (the SDK's clusterStatus: each replica's own
// /v1/status): the leader is the leader of the newest view any replica is in, the serving sequencer the
// one that leader's session is on. The nemesis resolves "isolate the leader" through this at the moment
// the fault starts, so a schedule names roles, not replica ids that a view change would make stale.
import { clusterStatus, type ReplicaReport } from '../../src/client/cluster-status.js';
import { leaderOf } from '../../src/mrtom/group.js';
import type { MemberName } from './topology.js';

export interface Roles {
  /** The newest view and session any replica that answered is in. */
  view: number;
  session: number;
  leader: MemberName;
  followers: MemberName[];
  servingSequencer: MemberName;
  standbySequencers: MemberName[];
}

/** The newest view among the replicas that answered, and what the replicas in it say. */
export function rolesFrom(reports: readonly ReplicaReport[], replicaIds: readonly number[], sequencerIds: readonly number[]): Roles | null {
  const nodes = reports.flatMap((r) => (r.node === undefined ? [] : [r.node]));
  if (nodes.length === 0) return null;
  const newest = nodes.reduce((a, b) => (b.view > a.view || (b.view === a.view && b.session > a.session) ? b : a));
  const leaderId = leaderOf(replicaIds, newest.view);
  const serving = nodes.find((n) => n.id === leaderId && n.view === newest.view)?.sequencerId ?? newest.sequencerId;
  return {
    view: newest.view,
    session: newest.session,
    leader: `r${leaderId}`,
    followers: replicaIds.filter((id) => id !== leaderId).map((id): MemberName => `r${id}`),
    servingSequencer: `s${serving}`,
    standbySequencers: sequencerIds.filter((id) => id !== serving).map((id): MemberName => `s${id}`),
  };
}

export async function currentRoles(
  replicaUrls: readonly string[],
  replicaIds: readonly number[],
  sequencerIds: readonly number[],
): Promise<Roles | null> {
  return rolesFrom(await clusterStatus(replicaUrls, AbortSignal.timeout(5_000)), replicaIds, sequencerIds);
}
