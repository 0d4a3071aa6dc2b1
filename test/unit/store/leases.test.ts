// Proves leases are replicated data decided in apply: a grant's id names its slot and position (slot ×
// REQUEST_OPS_MAX + index), puts attach keys, a
// revoke deletes exactly the keys still attached (at one revision, paged beyond DELETE_RANGE_KEYS_MAX),
// and unknown leases are refused. How: applies ops to a real LevelDB store and reads it back.
import { describe, expect, it } from 'vitest';
import { REQUEST_OPS_MAX, type KvOp } from '../../../src/store/ops.js';
import type { ReplicaStore } from '../../../src/store/replica-store.js';
import { DELETE_RANGE_KEYS_MAX } from '../../../src/store/kv-op.js';
import { bytes, del, opEntry, put, storeHarness } from './fixtures.js';

const harness = storeHarness();

async function applyAll(store: ReplicaStore, ops: readonly KvOp[]) {
  const start = store.state.meta().appliedSlot;
  const applied = await store.state.applyBatch(ops.map((op, i) => opEntry(start + i + 1, op)));
  return applied.map((entry) => entry.result);
}

/** The first grant sits alone at slot 1. */
const LEASE = 1 * REQUEST_OPS_MAX;
const leased = (key: string, lease: number): KvOp => ({ type: 'put', key, value: bytes(key), lease });

describe('leases', () => {
  it('grants by slot, attaches keys, and revokes only the keys still attached', async () => {
    const store = await harness.open(await harness.newDir(), 'memory');
    const [grant, a, , , missing] = await applyAll(store, [
      { type: 'lease_grant', ttlMs: 5000 },
      leased('a', LEASE),
      leased('b', LEASE),
      leased('c', LEASE),
      leased('d', 99),
    ]);
    expect(grant).toEqual({ type: 'lease', revision: 0, lease: LEASE, ttlMs: 5000 });
    expect(a).toEqual({ type: 'put', revision: 1, modRevision: 1 });
    expect(missing).toEqual({ type: 'lease_not_found', revision: 3, lease: 99 });
    expect((await store.reads.readKey('a')).record?.lease).toBe(LEASE);
    // b is overwritten without the lease, c deleted: neither belongs to the lease any more.
    await applyAll(store, [put('b', 'free'), del('c')]);
    expect(await applyAll(store, [{ type: 'lease_keepalive', lease: LEASE }])).toEqual([
      { type: 'lease', revision: 5, lease: LEASE, ttlMs: 5000 },
    ]);
    const [revoked, again] = await applyAll(store, [
      { type: 'lease_revoke', lease: LEASE },
      { type: 'lease_revoke', lease: LEASE },
    ]);
    expect(revoked).toEqual({ type: 'lease_revoked', revision: 6, lease: LEASE, deleted: 1, more: false });
    expect(again).toEqual({ type: 'lease_not_found', revision: 6, lease: LEASE });
    expect((await store.reads.readRange({ prefix: '', limit: 10 })).entries.map((e) => e.key)).toEqual(['b']);
    expect(await store.reads.readLeases()).toEqual([]);
    const { history } = await store.reads.readEvents(6, 10);
    expect(history).toEqual([{ revision: 6, events: [{ type: 'delete', key: 'a', record: null }] }]);
  });

  it('revokes a lease with more than DELETE_RANGE_KEYS_MAX keys over several ops, keeping the lease until done', async () => {
    const store = await harness.open(await harness.newDir(), 'memory');
    const keys = Array.from({ length: DELETE_RANGE_KEYS_MAX + 2 }, (_, i) => `k/${String(i).padStart(5, '0')}`);
    await applyAll(store, [{ type: 'lease_grant', ttlMs: 1000 }, ...keys.map((key) => leased(key, LEASE))]);
    const [first] = await applyAll(store, [{ type: 'lease_revoke', lease: LEASE }]);
    expect(first).toMatchObject({ type: 'lease_revoked', deleted: DELETE_RANGE_KEYS_MAX, more: true });
    expect(await store.reads.readLeases()).toEqual([{ lease: LEASE, ttlMs: 1000 }]);
    const [second] = await applyAll(store, [{ type: 'lease_revoke', lease: LEASE }]);
    expect(second).toMatchObject({ type: 'lease_revoked', deleted: 2, more: false });
    expect((await store.reads.readRange({ prefix: 'k/', limit: 10 })).entries).toEqual([]);
    expect(await store.reads.readLeases()).toEqual([]);
  });
});
