// How a replica addresses its peers' listeners: each one's base URL, the headers that authenticate it, and
// with peer TLS the dispatcher that verifies the peer's certificate and presents this replica's own.
import { Agent, request, type Dispatcher } from 'undici';
import type { ClusterConfig } from '../config/cluster.js';
import { peerPortOf } from '../config/cluster.js';
import { peerAuthorizationOf } from './cluster-key.js';
import type { TlsServerMaterial } from './tls-files.js';

export interface PeerClient {
  baseUrlOf(replicaId: number): string;
  /** GET `path` of a peer's listener, authenticated, waiting at most `timeoutMs` for headers and between body chunks. */
  get(replicaId: number, path: string, timeoutMs: number): Promise<Dispatcher.ResponseData>;
  /** Presents `material` from the next connection on (a SIGHUP reload). */
  useTls(material: TlsServerMaterial): void;
  close(): Promise<void>;
}

function tlsAgent({ cert, key, ca }: TlsServerMaterial): Agent {
  return new Agent({ connect: { cert, key, ...(ca === undefined ? {} : { ca }) } });
}

export function peerClientOf(config: ClusterConfig, clusterKey: Buffer | undefined, tls: TlsServerMaterial | undefined): PeerClient {
  const headers: Record<string, string> = clusterKey === undefined ? {} : { authorization: peerAuthorizationOf(clusterKey) };
  const scheme = tls === undefined ? 'http' : 'https';
  // Undefined: undici's global plain-HTTP dispatcher.
  let agent = tls === undefined ? undefined : tlsAgent(tls);
  const baseUrlOf = (replicaId: number): string => {
    const peer = config.replicas.find((r) => r.id === replicaId);
    if (peer === undefined) throw new Error(`replica ${replicaId} is not in the cluster config`);
    return `${scheme}://${peer.host}:${peerPortOf(peer)}`;
  };
  return {
    baseUrlOf,
    get: (replicaId, path, timeoutMs) =>
      request(`${baseUrlOf(replicaId)}${path}`, {
        headers,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        ...(agent === undefined ? {} : { dispatcher: agent }),
      }),
    useTls(material) {
      const old = agent;
      agent = tlsAgent(material);
      // Requests in flight on the old agent finish; it takes no new ones.
      void old?.close();
    },
    async close() {
      await agent?.close();
    },
  };
}
