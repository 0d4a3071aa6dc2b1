// The readiness of the other replicas for GET /v1/status, asked of their /readyz with a short timeout so
// a dead peer slows the answer by at most that much.
import { request } from 'undici';
import type { ClusterConfig } from '../config/cluster.js';
import type { PeerStatus } from '../api/service.js';

/** A peer that has not answered /readyz within this long is reported as not ready. */
export const PEER_PROBE_TIMEOUT_MS = 500;

async function probePeer(id: number, url: string): Promise<PeerStatus> {
  try {
    const res = await request(`${url}/readyz`, { headersTimeout: PEER_PROBE_TIMEOUT_MS, bodyTimeout: PEER_PROBE_TIMEOUT_MS });
    await res.body.dump();
    return { id, url, ready: res.statusCode === 200, detail: `readyz ${res.statusCode}` };
  } catch (err) {
    // Unreachable or too slow: that is the answer to report, not an error of this request.
    return { id, url, ready: false, detail: (err as Error).message };
  }
}

export function probePeers(config: ClusterConfig, selfId: number): Promise<PeerStatus[]> {
  const peers = config.replicas.filter((r) => r.id !== selfId);
  return Promise.all(peers.map((r) => probePeer(r.id, `http://${r.host}:${r.httpPort}`)));
}
