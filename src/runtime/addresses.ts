// Maps the cluster config's endpoints to UDP addresses and back: who a datagram came from, and where a
// message to a peer goes. Host names are resolved at start and again periodically (refresh), because a
// re-created pod or container comes back under the same name with a new address.
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { ClusterConfig } from '../config/cluster.js';
import type { Peer } from '../consensus/types.js';
import { sourceKey } from './udp.js';

export interface UdpAddress {
  host: string;
  port: number;
}

export interface PeerAddresses {
  /** The sender of a datagram from this source address, or null for a stranger. */
  peerOf(source: UdpAddress): Peer | null;
  addressOf(peer: Peer): UdpAddress;
  /** Resolves every name again; a name that does not resolve now keeps its last address. */
  refresh(): Promise<void>;
}

/** How often names are resolved again (only when the config uses names, not IP literals). */
export const ADDRESS_REFRESH_INTERVAL_MS = 5_000;

interface Endpoint {
  peer: Peer;
  host: string;
  port: number;
}

function endpointsOf(config: ClusterConfig): Endpoint[] {
  return [
    ...config.replicas.map((r) => ({ peer: { replica: r.id }, host: r.host, port: r.udpPort })),
    ...config.sequencers.map((s) => ({ peer: { sequencer: s.id }, host: s.host, port: s.port })),
  ];
}

const keyOf = (peer: Peer): string => ('replica' in peer ? `r${peer.replica}` : `s${peer.sequencer}`);

export function usesHostNames(config: ClusterConfig): boolean {
  return endpointsOf(config).some((e) => isIP(e.host) === 0);
}

export async function resolvePeerAddresses(config: ClusterConfig): Promise<PeerAddresses> {
  const endpoints = endpointsOf(config);
  const byPeer = new Map<string, UdpAddress>();
  let bySource = new Map<string, Peer>();
  const resolveAll = async (keepOnFailure: boolean): Promise<void> => {
    const next = new Map<string, Peer>();
    for (const endpoint of endpoints) {
      let host = byPeer.get(keyOf(endpoint.peer))?.host;
      try {
        host = isIP(endpoint.host) === 0 ? (await lookup(endpoint.host, { family: 4 })).address : endpoint.host;
      } catch (err) {
        if (!keepOnFailure || host === undefined) throw err;
      }
      const address = { host, port: endpoint.port };
      byPeer.set(keyOf(endpoint.peer), address);
      next.set(sourceKey(address), endpoint.peer);
    }
    bySource = next;
  };
  await resolveAll(false);
  return {
    peerOf: (source) => bySource.get(sourceKey(source)) ?? null,
    addressOf(peer) {
      const address = byPeer.get(keyOf(peer));
      if (!address) throw new Error(`no address for ${JSON.stringify(peer)}`);
      return address;
    },
    refresh: () => resolveAll(true),
  };
}
