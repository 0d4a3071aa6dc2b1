// Turns store results into API bodies: the one place a KeyRecord becomes a JSON item.
import type { Static } from '@fastify/type-provider-typebox';
import type { KeyEntry, KeyRecord, OpResult } from '../store/ops.js';
import type { RevisionProblem } from '../store/local-reads.js';
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

/** A record as JSON: the value in base64, the metadata, the content type and lease when it has them. */
export function recordJson(record: KeyRecord) {
  const { value, contentType, createRevision, modRevision, version, lease } = record;
  return {
    value: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64'),
    createRevision,
    modRevision,
    version,
    ...(contentType === undefined ? {} : { contentType }),
    ...(lease === undefined ? {} : { lease }),
  };
}

/** How a listing sends values: base64, UTF-8 text (refused per key when the bytes are not UTF-8), or not at all. */
export type ItemValues = 'base64' | 'utf8' | 'none';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function toItem({ key, record }: KeyEntry, values: ItemValues = 'base64'): Static<typeof Item> {
  const { value, ...metadata } = recordJson(record);
  if (values === 'none') return { key, ...metadata };
  if (values === 'base64') return { key, value, ...metadata };
  try {
    return { key, value: strictUtf8.decode(record.value), ...metadata };
  } catch {
    return { key, notUtf8: true, ...metadata };
  }
}

/** The `prev` field of a write answer or watch event: present only when it was asked for. */
export function prevJson(prev: KeyRecord | null | undefined): { prev?: ReturnType<typeof recordJson> | null } {
  if (prev === undefined) return {};
  return { prev: prev === null ? null : recordJson(prev) };
}

/** `next` of a page: the last key when more follow, so `after=next` continues exactly there. */
export function nextKey(entries: readonly KeyEntry[], more: boolean): string | null {
  return more && entries.length > 0 ? entries[entries.length - 1]!.key : null;
}

/** 410 compacted: `revision` is older than the history kept, which starts at `oldestRevision`. */
export function compactedError(revision: number, oldestRevision: number): ApiError {
  return new ApiError(
    410,
    'compacted',
    `revision ${revision} was compacted; the history starts at revision ${oldestRevision}`,
    {},
    { oldestRevision },
  );
}

/** 400 future_revision: `revision` is past this replica's store revision `current`. */
export function futureRevision(revision: number, current: number): ApiError {
  return new ApiError(400, 'future_revision', `revision ${revision} is past the store revision ${current}`, {
    'x-mrtom-revision': String(current),
  });
}

/** The answer of a read at `revision`, or the error that says why there is none. */
export function answeredAt<T extends object>(answer: T | RevisionProblem, revision: number): T {
  if (!('problem' in answer)) return answer;
  if (answer.problem === 'compacted') throw compactedError(revision, answer.compactRevision);
  throw futureRevision(revision, answer.revision);
}
