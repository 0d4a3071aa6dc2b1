// Proves the cluster key's checks: the peer bearer is accepted only when derived from the same key, a
// missing and a wrong one are told apart (the metric's reason), and a short, unreadable or doubly given
// key is a startup error naming its flag. How: the functions on real files in a temp folder.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkPeerAuthorization, CLUSTER_KEY_BYTES_MIN, peerAuthorizationOf, readClusterKey } from '../../../src/runtime/cluster-key.js';

const KEY = Buffer.from('0123456789abcdef0123456789abcdef');

describe('cluster key', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mrtom-key-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('accepts only the bearer derived from the same key, and never sends the key itself', () => {
    const bearer = peerAuthorizationOf(KEY);
    expect(bearer).not.toContain(KEY.toString());
    expect(checkPeerAuthorization(bearer, KEY)).toBe('ok');
    expect(checkPeerAuthorization(undefined, KEY)).toBe('missing-key');
    expect(checkPeerAuthorization('', KEY)).toBe('missing-key');
    expect(checkPeerAuthorization(peerAuthorizationOf(Buffer.from('fedcba9876543210fedcba9876543210')), KEY)).toBe('wrong-key');
    expect(checkPeerAuthorization(`${bearer}x`, KEY)).toBe('wrong-key');
    expect(checkPeerAuthorization(`Bearer ${KEY.toString()}`, KEY)).toBe('wrong-key');
  });

  it('reads a key from a file without its trailing newline, as from the env', async () => {
    const file = join(dir, 'key');
    await writeFile(file, `${KEY.toString()}\n`);
    expect(await readClusterKey({ keyFile: file })).toEqual(KEY);
    expect(await readClusterKey({ key: KEY.toString() })).toEqual(KEY);
    expect(await readClusterKey({})).toBeUndefined();
  });

  it('refuses a short key at the boundary, an unreadable file and two sources, naming the flag', async () => {
    expect(await readClusterKey({ key: 'k'.repeat(CLUSTER_KEY_BYTES_MIN) })).toHaveLength(CLUSTER_KEY_BYTES_MIN);
    await expect(readClusterKey({ key: 'k'.repeat(CLUSTER_KEY_BYTES_MIN - 1) })).rejects.toThrow(/--cluster-key: .*at least 16 bytes/);
    await expect(readClusterKey({ keyFile: join(dir, 'absent') })).rejects.toThrow(
      /--cluster-key-file .*absent: cannot read it \(ENOENT\)/,
    );
    await expect(readClusterKey({ key: KEY.toString(), keyFile: join(dir, 'key') })).rejects.toThrow(
      /either --cluster-key or --cluster-key-file/,
    );
  });
});
