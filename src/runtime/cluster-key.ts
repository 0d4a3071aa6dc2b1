// The optional shared cluster key and the bearer replicas present to each other's peer listener.
// The bearer is HMAC-SHA256(key, a fixed label), not the key: the key itself never crosses the network,
// and the same key can later derive other secrets (datagram MACs) under other labels without one
// revealing another (docs/security.md).
import { createHmac, timingSafeEqual } from 'node:crypto';
import { ConfigError } from '../config/cluster.js';
import { readFlagFile } from '../config/flag-file.js';

/** Shorter keys are refused: 16 bytes is 128 bits when the key is random, as `openssl rand -hex 32` makes. */
export const CLUSTER_KEY_BYTES_MIN = 16;
const PEER_BEARER_LABEL = 'mrtom-kv peer http v1';

export interface ClusterKeySource {
  /** The key itself (`--cluster-key`, `MRTOM_CLUSTER_KEY`). */
  key?: string;
  /** A file holding it (`--cluster-key-file`, `MRTOM_CLUSTER_KEY_FILE`); one trailing newline is ignored. */
  keyFile?: string;
}

export type PeerAuthVerdict = 'ok' | 'missing-key' | 'wrong-key';

export async function readClusterKey(source: ClusterKeySource): Promise<Buffer | undefined> {
  if (source.key !== undefined && source.keyFile !== undefined) {
    throw new ConfigError('give either --cluster-key or --cluster-key-file, not both');
  }
  let text = source.key;
  let flag = '--cluster-key';
  if (source.keyFile !== undefined) {
    flag = `--cluster-key-file ${source.keyFile}`;
    text = (await readFlagFile('--cluster-key-file', source.keyFile)).toString('utf8').replace(/\r?\n$/, '');
  }
  if (text === undefined) return undefined;
  const key = Buffer.from(text, 'utf8');
  if (key.byteLength < CLUSTER_KEY_BYTES_MIN) {
    throw new ConfigError(`${flag}: the cluster key must be at least ${CLUSTER_KEY_BYTES_MIN} bytes (e.g. openssl rand -hex 32)`);
  }
  return key;
}

/** The Authorization header value a replica sends to a peer's listener. */
export function peerAuthorizationOf(key: Buffer): string {
  return `Bearer ${createHmac('sha256', key).update(PEER_BEARER_LABEL).digest('base64url')}`;
}

/** Checks a request's Authorization header in constant time (both sides hashed to one length first). */
export function checkPeerAuthorization(header: string | undefined, key: Buffer): PeerAuthVerdict {
  if (header === undefined || header === '') return 'missing-key';
  const digest = (value: string): Buffer => createHmac('sha256', key).update(value).digest();
  return timingSafeEqual(digest(header), digest(peerAuthorizationOf(key))) ? 'ok' : 'wrong-key';
}
