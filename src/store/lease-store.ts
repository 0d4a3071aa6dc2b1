// Where leases live (keys.ts): `l<lease>` holds a lease's TTL and how many keys are attached to it,
// `i<lease><key>` attaches one key, so a revoke finds a lease's keys in key order without a scan of the
// live records. Both are replicated state, written in the apply batch like the data.
import assert from 'node:assert/strict';
import { isRecord, isSeq, packBody, unpackBody } from '../mrtom/body.js';
import type { Database, Snapshot } from './database.js';
import { keyOfLeaseIndexKey, LEASES_END, LEASES_START, leaseIndexBounds, leaseKey, parseLeaseKey } from './keys.js';
import type { LeaseRecord } from './ops.js';
import { asBuffer } from './codec.js';

export function encodeLease(lease: LeaseRecord): Buffer {
  return asBuffer(packBody({ ttlMs: lease.ttlMs, keys: lease.keys }));
}

export function decodeLease(bytes: Uint8Array): LeaseRecord {
  const value = unpackBody(bytes);
  assert.ok(isRecord(value) && isSeq(value.ttlMs) && isSeq(value.keys), 'stored lease is not {ttlMs, keys}');
  return { ttlMs: value.ttlMs, keys: value.keys };
}

/** The index holds no value: the key name is the whole entry. */
export const LEASE_INDEX_VALUE = Buffer.alloc(0);

/** The first `count` keys attached to `lease`, in key order. */
export async function scanLeaseKeys(db: Database, lease: number, count: number, snapshot?: Snapshot): Promise<string[]> {
  const keys = await db.keys({ ...leaseIndexBounds(lease), limit: count, ...(snapshot === undefined ? {} : { snapshot }) }).all();
  return keys.map(keyOfLeaseIndexKey);
}

/** Leases in id order: every one, or the first `limit` after the id `after`. */
export async function scanLeases(
  db: Database,
  options: { after?: number; limit?: number; snapshot?: Snapshot } = {},
): Promise<Array<{ lease: number } & LeaseRecord>> {
  const { after, limit = Infinity, snapshot } = options;
  const start = after === undefined ? { gte: LEASES_START } : { gt: leaseKey(after) };
  const rows = await db.iterator({ ...start, lt: LEASES_END, limit, ...(snapshot === undefined ? {} : { snapshot }) }).all();
  return rows.map(([key, bytes]) => ({ lease: parseLeaseKey(key), ...decodeLease(bytes) }));
}
