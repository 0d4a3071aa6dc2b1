// Where leases live in LevelDB: `leases` maps a lease id to its record, `lease-keys` indexes the keys
// attached to each lease (lease id, then key), so a revoke finds them in key order without a scan of the
// kv sublevel. Both are replicated state, written in the apply batch like the data.
import assert from 'node:assert/strict';
import { isRecord, isSeq, packBody, unpackBody } from '../mrtom/body.js';
import type { Sublevel } from './database.js';
import type { LeaseRecord } from './ops.js';

const LEASE_HEX_DIGITS = 14; // Lease ids are log slots: safe integers, which fit in 14 hex digits.
const EMPTY = new Uint8Array(0);

export function leaseKey(lease: number): string {
  assert.ok(Number.isSafeInteger(lease) && lease >= 0, `lease id must be a non-negative safe integer, got ${lease}`);
  return lease.toString(16).padStart(LEASE_HEX_DIGITS, '0');
}

export function leaseIndexKey(lease: number, key: string): string {
  return `${leaseKey(lease)}/${key}`;
}

export function keyOfLeaseIndexKey(indexKey: string): string {
  return indexKey.slice(LEASE_HEX_DIGITS + 1);
}

export function encodeLease(lease: LeaseRecord): Uint8Array {
  return packBody({ ttlMs: lease.ttlMs });
}

export function decodeLease(bytes: Uint8Array): LeaseRecord {
  const value = unpackBody(bytes);
  assert.ok(isRecord(value) && isSeq(value.ttlMs), 'stored lease is not {ttlMs}');
  return { ttlMs: value.ttlMs };
}

/** The index holds no value: the key name is the whole entry. */
export const LEASE_INDEX_VALUE = EMPTY;

/** The first `count` keys attached to `lease`, in key order. */
export async function scanLeaseKeys(leaseKeys: Sublevel, lease: number, count: number): Promise<string[]> {
  const prefix = `${leaseKey(lease)}/`;
  const keys: string[] = [];
  for await (const indexKey of leaseKeys.keys({ gt: prefix, limit: count })) {
    if (!indexKey.startsWith(prefix)) break;
    keys.push(keyOfLeaseIndexKey(indexKey));
  }
  return keys;
}

/** Every lease with its time to live: what a new leader starts counting down. */
export async function readAllLeases(leases: Sublevel): Promise<Array<{ lease: number; ttlMs: number }>> {
  const all: Array<{ lease: number; ttlMs: number }> = [];
  for await (const [key, bytes] of leases.iterator()) all.push({ lease: Number.parseInt(key, 16), ttlMs: decodeLease(bytes).ttlMs });
  return all;
}
