// A replica's whole replicated state as one digest: SHA-256 of the snapshot stream it serves to peers
// (src/runtime/snapshot-transfer.ts: length-prefixed frames of every replicated key, from one LevelDB
// iterator, so one point in time). Equal digests mean byte-identical keys, values, revisions, dedup
// table and watch history. Kept behind this one function so it can move to an authenticated peer port.
import { createHash } from 'node:crypto';
import { request } from 'undici';
import { SNAPSHOT_PATH } from '../../src/runtime/snapshot-transfer.js';

/** The harness's states are small (a few hundred keys and their history); a slow box gets room. */
const DIGEST_TIMEOUT_MS = 10_000;

export async function replicaDigest(replicaUrl: string): Promise<string> {
  const res = await request(`${replicaUrl}${SNAPSHOT_PATH}`, { headersTimeout: DIGEST_TIMEOUT_MS, bodyTimeout: DIGEST_TIMEOUT_MS });
  if (res.statusCode !== 200) {
    await res.body.dump();
    throw new Error(`${replicaUrl}${SNAPSHOT_PATH} answered ${res.statusCode}`);
  }
  const hash = createHash('sha256');
  for await (const chunk of res.body) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
