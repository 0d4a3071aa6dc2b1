// A follower's answer to "how long until this lease is revoked": only the leader counts leases down
// (lease-expiry.ts), so the follower asks the leader's peer listener, with a short timeout so that a dead
// or partitioned leader slows the read by at most that much. The peer route answers from its own
// countdown only (never asks on), so a leader change in between yields null, not a loop.
import type { FastifyPluginAsync } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { PeerClient } from './peer-client.js';

/** A leader that has not answered within this long leaves the time left unknown (null). */
export const LEASE_REMAINING_TIMEOUT_MS = 500;

const path = (lease: number): string => `/internal/v1/leases/${lease}/remaining`;

export async function askLeaderLeaseRemainingMs(peers: PeerClient, leaderId: number, lease: number): Promise<number | null> {
  try {
    const res = await peers.get(leaderId, path(lease), LEASE_REMAINING_TIMEOUT_MS);
    if (res.statusCode !== 200) {
      await res.body.dump();
      return null;
    }
    const { remainingMs } = (await res.body.json()) as { remainingMs?: unknown };
    return Number.isSafeInteger(remainingMs) && (remainingMs as number) >= 0 ? (remainingMs as number) : null;
  } catch {
    // Unreachable, too slow or not the leader any more: the time left is simply not known here.
    return null;
  }
}

/** The peer listener's side: this replica's own countdown of a lease (null unless it leads and counts it). */
export const leaseRemainingRoutes: FastifyPluginAsync<{ remainingMs(lease: number): number | null }> = async (app, { remainingMs }) => {
  app.get(
    '/internal/v1/leases/:lease/remaining',
    { schema: { params: Type.Object({ lease: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }) }) } },
    async (request) => ({ remainingMs: remainingMs((request.params as { lease: number }).lease) }),
  );
};
