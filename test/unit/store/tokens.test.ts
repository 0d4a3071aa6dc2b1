// Proves auth tokens are replicated state: created, revoked and bootstrapped only by applied ops, the
// root bootstrap once ever (the first of several wins, a revoked root stays revoked), kept across a
// restart and carried by a snapshot. How: applies ops to real LevelDB stores and reads the table back.
import { describe, expect, it } from 'vitest';
import type { KvOp } from '../../../src/store/ops.js';
import type { ReplicaStore } from '../../../src/store/replica-store.js';
import { ROOT_TOKEN_ID, type TokenRecord } from '../../../src/store/token-table.js';
import { opEntry, put, storeHarness } from './fixtures.js';

const harness = storeHarness();

async function applyAll(store: ReplicaStore, ops: readonly KvOp[]) {
  const start = store.state.meta().appliedSlot;
  const applied = await store.state.applyBatch(ops.map((op, i) => opEntry(start + i + 1, op)));
  return applied.map((entry) => entry.result);
}

const token = (id: string, fill: number): TokenRecord => ({
  id,
  name: `token ${id}`,
  secretHash: new Uint8Array(32).fill(fill),
  rules: [{ prefix: 'app/', access: 'read' }],
});

describe('token table', () => {
  it('creates and revokes through applied ops, without changing the store revision', async () => {
    const store = await harness.open(await harness.newDir(), 'memory');
    const results = await applyAll(store, [
      put('k', 'v'),
      { type: 'token_create', token: token('a', 1) },
      { type: 'token_create', token: token('a', 2) },
      { type: 'token_create', token: token(ROOT_TOKEN_ID, 3) },
      { type: 'token_revoke', id: 'a' },
      { type: 'token_revoke', id: 'a' },
    ]);
    expect(results).toEqual([
      { type: 'put', revision: 1, modRevision: 1 },
      { type: 'token_created', revision: 1, id: 'a', created: true },
      { type: 'token_created', revision: 1, id: 'a', created: false },
      { type: 'token_created', revision: 1, id: ROOT_TOKEN_ID, created: false }, // the root id is the bootstrap's
      { type: 'token_revoked', revision: 1, id: 'a', revoked: 1 },
      { type: 'token_revoked', revision: 1, id: 'a', revoked: 0 },
    ]);
    expect(store.state.tokens.list()).toEqual([]);
  });

  it('bootstraps the root once: the first op wins, a revoked root is not brought back', async () => {
    const store = await harness.open(await harness.newDir(), 'memory');
    const bootstrap = (fill: number): KvOp => ({ type: 'token_bootstrap', token: token(ROOT_TOKEN_ID, fill) });
    const results = await applyAll(store, [bootstrap(1), bootstrap(2), { type: 'token_revoke', id: ROOT_TOKEN_ID }, bootstrap(3)]);
    expect(results.map((r) => (r.type === 'token_created' ? r.created : r.type))).toEqual([true, false, 'token_revoked', false]);
    expect(store.state.tokens.get(ROOT_TOKEN_ID)).toBeNull();
    expect(store.state.tokens.rootBootstrapped).toBe(true);
  });

  it('keeps tokens across a restart and carries them in a snapshot', async () => {
    const dir = await harness.newDir();
    const before = await harness.open(dir, 'fsync');
    await applyAll(before, [
      { type: 'token_bootstrap', token: token(ROOT_TOKEN_ID, 1) },
      { type: 'token_create', token: token('b', 2) },
    ]);
    const expected = before.state.tokens.list();
    await before.close();
    const after = await harness.open(dir, 'fsync');
    expect(after.state.tokens.list()).toEqual(expected);

    const peer = await harness.open(await harness.newDir(), 'memory');
    let heard = 0;
    peer.state.tokens.subscribe(() => (heard += 1));
    await peer.state.installSnapshot(after.state.snapshot(), () => Promise.resolve());
    expect(peer.state.tokens.list()).toEqual(expected);
    expect(peer.state.tokens.rootBootstrapped).toBe(true);
    expect(heard).toBe(1);
  });
});
