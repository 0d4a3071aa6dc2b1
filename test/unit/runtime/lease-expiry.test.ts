// Proves the leader proposes a revoke once a lease's TTL runs out on its clock, restarts the countdown on
// keepalives, gives every stored lease a full TTL when it becomes leader, and proposes nothing while not
// leading; and that the time left it reports is the leader's countdown, null elsewhere. How: a LeaseExpiry with the clock and leadership as inputs; revokes are recorded.
import { describe, expect, it } from 'vitest';
import { LeaseExpiry } from '../../../src/runtime/lease-expiry.js';
import type { OpResult } from '../../../src/store/ops.js';

function setup(stored: Array<{ lease: number; ttlMs: number }> = []) {
  const world = { nowMs: 0, leader: true, revoked: [] as number[] };
  const expiry = new LeaseExpiry({
    isLeader: () => world.leader,
    nowMs: () => world.nowMs,
    readLeases: async () => stored,
    revoke: async (lease): Promise<OpResult> => {
      world.revoked.push(lease);
      return { type: 'lease_revoked', revision: 1, lease, deleted: 0, more: false };
    },
    onError: (err) => {
      throw err;
    },
  });
  const applied = (result: OpResult) => expiry.onApplied([{ slot: 1, session: 1, seq: 1, clientId: 1, requestId: 1, result }]);
  return { world, expiry, applied };
}

describe('lease expiry', () => {
  it('revokes after the TTL counted from the last grant or keepalive', async () => {
    const { world, expiry, applied } = setup();
    expiry.onTick();
    applied({ type: 'lease', revision: 0, lease: 4, ttlMs: 1000 });
    world.nowMs = 900;
    applied({ type: 'lease', revision: 0, lease: 4, ttlMs: 1000 });
    world.nowMs = 1800;
    expiry.onTick();
    expect(world.revoked).toEqual([]);
    world.nowMs = 1900;
    expiry.onTick();
    expect(world.revoked).toEqual([4]);
  });

  it('gives stored leases a full TTL on becoming leader, and does nothing while following', async () => {
    const { world, expiry } = setup([{ lease: 2, ttlMs: 1000 }]);
    world.leader = false;
    world.nowMs = 5000;
    expiry.onTick();
    world.leader = true;
    expiry.onTick();
    await new Promise((resolve) => setImmediate(resolve));
    world.nowMs = 5999;
    expiry.onTick();
    expect(world.revoked).toEqual([]);
    world.nowMs = 6000;
    expiry.onTick();
    expect(world.revoked).toEqual([2]);
  });

  it("reports the time left on the leader's countdown: null before its deadline is known, when revoked, and when not leading", async () => {
    const { world, expiry, applied } = setup([{ lease: 2, ttlMs: 1000 }]);
    world.nowMs = 100;
    expiry.onTick();
    expect(expiry.remainingMs(2)).toBeNull(); // the stored leases are still being read
    await new Promise((resolve) => setImmediate(resolve));
    expect(expiry.remainingMs(2)).toBe(1000);
    applied({ type: 'lease', revision: 0, lease: 4, ttlMs: 5000 });
    world.nowMs = 700.5; // the clock has fractions; the answer is whole milliseconds, rounded up
    expect([expiry.remainingMs(2), expiry.remainingMs(4), expiry.remainingMs(9)]).toEqual([400, 4400, null]);
    world.nowMs = 1500;
    expect(expiry.remainingMs(2)).toBe(0); // run out, its revoke not yet applied
    applied({ type: 'lease_revoked', revision: 1, lease: 2, deleted: 0, more: false });
    expect(expiry.remainingMs(2)).toBeNull();
    world.leader = false;
    expect(expiry.remainingMs(4)).toBeNull();
  });
});
