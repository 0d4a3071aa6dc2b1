// How a replica addresses its peers' listeners: each one's base URL and the headers that authenticate it.
import type { ClusterConfig } from '../config/cluster.js';
import { peerPortOf } from '../config/cluster.js';
import { peerAuthorizationOf } from './cluster-key.js';

export interface PeerClient {
  baseUrlOf(replicaId: number): string;
  /** Sent with every request to a peer listener. */
  readonly headers: Readonly<Record<string, string>>;
}

export function peerClientOf(config: ClusterConfig, clusterKey: Buffer | undefined): PeerClient {
  const headers: Record<string, string> = clusterKey === undefined ? {} : { authorization: peerAuthorizationOf(clusterKey) };
  return {
    baseUrlOf(replicaId) {
      const peer = config.replicas.find((r) => r.id === replicaId);
      if (peer === undefined) throw new Error(`replica ${replicaId} is not in the cluster config`);
      return `http://${peer.host}:${peerPortOf(peer)}`;
    },
    headers,
  };
}
