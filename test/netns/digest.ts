// A replica's whole replicated state as one digest: SHA-256 of the snapshot stream it serves to peers
// (src/runtime/snapshot-transfer.ts: length-prefixed frames of every replicated key, from one LevelDB
// iterator, so one point in time). Equal digests mean byte-identical keys, values, revisions, dedup
// table and watch history. Read from the replica's peer listener (the harness runs without a cluster key).
import { createHash } from 'node:crypto';
import { request } from 'undici';
import { SNAPSHOT_PATH } from '../../src/runtime/snapshot-transfer.js';
import { REPLICA_UDP_PORT } from './cluster-config.js';

/** The harness's states are small (a few hundred keys and their history); a slow box gets room. */
const DIGEST_TIMEOUT_MS = 10_000;

/** `replicaUrl` is the client API's; the peer listener is on the UDP port's number (no peerPort in the config). */
export async function replicaDigest(replicaUrl: string): Promise<string> {
  const peer = new URL(SNAPSHOT_PATH, replicaUrl);
  peer.port = String(REPLICA_UDP_PORT);
  const res = await request(peer, { headersTimeout: DIGEST_TIMEOUT_MS, bodyTimeout: DIGEST_TIMEOUT_MS });
  if (res.statusCode !== 200) {
    await res.body.dump();
    throw new Error(`${peer.href} answered ${res.statusCode}`);
  }
  const hash = createHash('sha256');
  for await (const chunk of res.body) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
