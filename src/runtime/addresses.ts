// Maps the cluster config's endpoints to UDP addresses and back: who a datagram came from, and where a
// message to a peer goes. Host names are resolved once at start.
import { lookup } from 'node:dns/promises';
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
}

export async function resolvePeerAddresses(config: ClusterConfig): Promise<PeerAddresses> {
  const resolve = async (host: string, port: number): Promise<UdpAddress> => ({ host: (await lookup(host, { family: 4 })).address, port });
  const replicas = new Map<number, UdpAddress>();
  const sequencers = new Map<number, UdpAddress>();
  const bySource = new Map<string, Peer>();
  for (const r of config.replicas) {
    const address = await resolve(r.host, r.udpPort);
    replicas.set(r.id, address);
    bySource.set(sourceKey(address), { replica: r.id });
  }
  for (const s of config.sequencers) {
    const address = await resolve(s.host, s.port);
    sequencers.set(s.id, address);
    bySource.set(sourceKey(address), { sequencer: s.id });
  }
  return {
    peerOf: (source) => bySource.get(sourceKey(source)) ?? null,
    addressOf(peer) {
      const address = 'replica' in peer ? replicas.get(peer.replica) : sequencers.get(peer.sequencer);
      if (!address) throw new Error(`no address for ${JSON.stringify(peer)}`);
      return address;
    },
  };
}
