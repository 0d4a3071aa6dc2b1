// The continuation of a prefix listing (docs/api.md, list): the revision its first page was read at and
// the key to continue after, so every page of one listing is at the same revision. Opaque to clients:
// base64url of a JSON pair; what comes back is checked as strictly as any other input.
import { ApiError } from './errors.js';
import { checkPrefix } from './keys.js';
import { INTEGER_MAX } from './schemas.js';

export interface PageToken {
  revision: number;
  /** The last key of the previous page. */
  after: string;
}

export function encodePageToken({ revision, after }: PageToken): string {
  return Buffer.from(JSON.stringify([revision, after]), 'utf8').toString('base64url');
}

export function decodePageToken(field: string, text: string): PageToken {
  const invalid = (): ApiError => new ApiError(400, 'bad_request', `${field}: not a continuation token this API gave (a page's \`next\`)`);
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (!Array.isArray(value) || value.length !== 2) throw invalid();
  const [revision, after] = value as unknown[];
  if (!Number.isSafeInteger(revision) || (revision as number) < 0 || (revision as number) > INTEGER_MAX) throw invalid();
  if (typeof after !== 'string' || after === '') throw invalid();
  // Re-encoding must give back the very text: one token per page, nothing smuggled alongside.
  if (encodePageToken({ revision: revision as number, after }) !== text) throw invalid();
  return { revision: revision as number, after: checkPrefix(field, after) };
}
