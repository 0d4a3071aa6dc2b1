// HTTP preconditions. On writes they are CAS (ecosystem.md §1.2): `If-Match: "<modRevision>"` writes only
// if the key's modRevision is that, `If-Match: *` only if the key exists, `If-None-Match: *` only if it
// is absent; they are checked inside the replicated apply, never here, so every replica decides the
// same. On reads, `If-None-Match` lists the ETags a client holds, and a match is 304 Not Modified
// (RFC 9110 §13.1.2).
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
  if (ifMatch === '*') return { exists: true };
  const match = typeof ifMatch === 'string' ? ETAG.exec(ifMatch.trim()) : null;
  if (match === null) throw badHeader('If-Match', 'must be one ETag holding a modRevision, e.g. "42"');
  const modRevision = Number(match[1]);
  if (modRevision > INTEGER_MAX) throw badHeader('If-Match', `the modRevision must be an integer from 0 to ${INTEGER_MAX}`);
  return { modRevision };
}

/** The opaque tags of an If-None-Match list (`"1", W/"2"`); null when it is not one. Each step consumes at
 *  least the two quotes of a tag, so the loop is bounded by the header's length. */
function entityTags(header: string): string[] | null {
  const tag = /\s*(?:W\/)?"([\x21\x23-\x7e]*)"\s*(,|$)/y;
  const tags: string[] = [];
  while (tag.lastIndex < header.length) {
    const match = tag.exec(header);
    if (match === null) return null;
    tags.push(match[1]!);
    if (match[2] === '') break;
  }
  return tags.length > 0 ? tags : null;
}

/** For a read: whether the current modRevision is one the client already holds (then 304); undefined when
 *  it asked nothing. ETags compare weakly, as RFC 9110 §13.1.2 says for If-None-Match. */
export function notModifiedTest(headers: Record<string, string | string[] | undefined>): ((modRevision: number) => boolean) | undefined {
  const header = headers['if-none-match'];
  if (header === undefined) return undefined;
  if (header === '*') return () => true;
  const tags = typeof header === 'string' ? entityTags(header) : null;
  if (tags === null) throw badHeader('If-None-Match', 'must be * or a list of ETags, e.g. "41", "42"');
  return (modRevision) => tags.includes(String(modRevision));
}
