// The readiness of the other replicas for GET /v1/status, asked of their peer listeners with a short
// timeout so a dead peer slows the answer by at most that much. The peer listener, not the client port,
// so that the probe needs neither the clients' TLS trust nor a client certificate.
import type { ClusterConfig } from '../config/cluster.js';
import type { PeerStatus } from '../api/service.js';
import type { PeerClient } from './peer-client.js';
import { PEER_READY_PATH } from './peer-server.js';

/** A peer that has not answered within this long is reported as not ready. */
export const PEER_PROBE_TIMEOUT_MS = 500;

async function probePeer(id: number, url: string, peers: PeerClient): Promise<PeerStatus> {
  try {
    const res = await peers.get(id, PEER_READY_PATH, PEER_PROBE_TIMEOUT_MS);
    await res.body.dump();
    return { id, url, ready: res.statusCode === 200, detail: `readyz ${res.statusCode}` };
  } catch (err) {
    // Unreachable or too slow: that is the answer to report, not an error of this request.
    return { id, url, ready: false, detail: (err as Error).message };
  }
}

/** `scheme` is this replica's own: a cluster serves its client API with TLS on every replica or on none. */
export function probePeers(config: ClusterConfig, selfId: number, peers: PeerClient, scheme: 'http' | 'https'): Promise<PeerStatus[]> {
  const others = config.replicas.filter((r) => r.id !== selfId);
  return Promise.all(others.map((r) => probePeer(r.id, `${scheme}://${r.host}:${r.httpPort}`, peers)));
}
