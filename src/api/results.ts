// Turns store results into API bodies: the one place a KeyRecord becomes a JSON item.
import type { Static } from '@fastify/type-provider-typebox';
import type { KeyEntry, OpResult } from '../store/ops.js';
import type { Item } from './schemas.js';
import { ApiError } from './errors.js';

/** We built the op, so a result of another type (or `invalid`) is our bug; it surfaces as 500 — but for
 *  the refusal of a reused Idempotency-Key, which is the caller's (422). */
export function expectResult<T extends OpResult['type']>(result: OpResult, type: T): Extract<OpResult, { type: T }> {
  if (result.type === type) return result as Extract<OpResult, { type: T }>;
  if (result.type === 'idempotency_conflict') {
    throw new ApiError(422, 'idempotency_key_reused', 'this Idempotency-Key was used before with another request; nothing was applied', {
      'x-mrtom-revision': String(result.revision),
    });
  }
  const reason = result.type === 'invalid' ? `: ${result.reason}` : '';
  throw new Error(`expected a ${type} result, got ${result.type}${reason}`);
}

export function leaseNotFound(lease: number, revision: number): ApiError {
  return new ApiError(404, 'lease_not_found', `lease ${lease} does not exist (revoked, expired or never granted)`, {
    'x-mrtom-revision': String(revision),
  });
}

/** A write result, or the 404 of a missing lease, or the 412 its failed precondition means. */
export function expectWrite<T extends 'put' | 'delete'>(result: OpResult, type: T): Extract<OpResult, { type: T }> {
  if (result.type === 'lease_not_found') throw leaseNotFound(result.lease, result.revision);
  if (result.type !== 'precondition_failed') return expectResult(result, type);
  const current = result.modRevision === null ? 'the key is absent' : `the key's modRevision is ${result.modRevision}`;
  throw new ApiError(
    412,
    'precondition_failed',
    `precondition failed: ${current}`,
    { 'x-mrtom-revision': String(result.revision) },
    { modRevision: result.modRevision },
  );
}

export function toItem({ key, record }: KeyEntry, keysOnly = false): Static<typeof Item> {
  const item: Static<typeof Item> = {
    key,
    createRevision: record.createRevision,
    modRevision: record.modRevision,
    version: record.version,
  };
  if (!keysOnly) item.value = Buffer.from(record.value.buffer, record.value.byteOffset, record.value.byteLength).toString('base64');
  if (record.contentType !== undefined) item.contentType = record.contentType;
  if (record.lease !== undefined) item.lease = record.lease;
  return item;
}

/** `next` of a page: the last key when more follow, so `after=next` continues exactly there. */
export function nextKey(entries: readonly KeyEntry[], more: boolean): string | null {
  return more && entries.length > 0 ? entries[entries.length - 1]!.key : null;
}
