// HTTP preconditions as CAS (ecosystem.md §1.2): `If-Match: "<modRevision>"` writes only if the key's
// modRevision is that, `If-None-Match: *` only if the key is absent. They are checked inside the replicated
// apply, never here, so every replica decides the same.
import type { Precondition } from '../store/ops.js';
import { ApiError } from './errors.js';
import { INTEGER_MAX } from './schemas.js';

const ETAG = /^(?:W\/)?"(\d+)"$/;

function badHeader(name: string, problem: string): ApiError {
  return new ApiError(400, 'invalid_precondition', `${name}: ${problem}`);
}

export function preconditionOf(headers: Record<string, string | string[] | undefined>): Precondition | undefined {
  const ifMatch = headers['if-match'];
  const ifNoneMatch = headers['if-none-match'];
  if (ifMatch !== undefined && ifNoneMatch !== undefined) throw badHeader('If-Match', 'cannot be combined with If-None-Match');
  if (ifNoneMatch !== undefined) {
    if (ifNoneMatch !== '*') throw badHeader('If-None-Match', 'only * (create-only) is supported');
    return { absent: true };
  }
  if (ifMatch === undefined) return undefined;
  const match = typeof ifMatch === 'string' ? ETAG.exec(ifMatch.trim()) : null;
  if (match === null) throw badHeader('If-Match', 'must be one ETag holding a modRevision, e.g. "42"');
  const modRevision = Number(match[1]);
  if (modRevision > INTEGER_MAX) throw badHeader('If-Match', `the modRevision must be an integer from 0 to ${INTEGER_MAX}`);
  return { modRevision };
}
