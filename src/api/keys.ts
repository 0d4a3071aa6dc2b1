// Which keys are legal, decided here for every route (docs/api.md, "Keys"): a key named in a URL path, a
// txn op or compare, or a watch, and a prefix or `after` cursor given anywhere. Both are well-formed
// Unicode of at most KEY_BYTES_MAX bytes of UTF-8 with no control characters; a key is also non-empty
// and has no `.` or `..` segment between slashes, because HTTP clients remove those from URLs
// (RFC 3986 §5.2.4) and such a key could be written through a txn but never read back by its URL.
import { ApiError } from './errors.js';
import { decodePercent } from './percent-encoding.js';

export const KV_PATH_PREFIX = '/v1/kv/';
export const KEY_BYTES_MAX = 4096;

/** C0 controls, DEL and C1 controls (Unicode category Cc): unreadable in logs, terminals and CLI output. */
const CONTROL = /\p{Cc}/u;
/** In a `u` regex only an unpaired surrogate is a code point of category Cs. */
const LONE_SURROGATE = /\p{Cs}/u;

function invalidKey(field: string, problem: string): ApiError {
  return new ApiError(400, 'invalid_key', `${field} ${problem}`);
}

/** What makes `text` no legal prefix, as a phrase to follow the field's name; null when it is one. */
function prefixProblem(text: string): string | null {
  const surrogate = text.search(LONE_SURROGATE);
  if (surrogate !== -1) return `is not well-formed Unicode: a lone UTF-16 surrogate at character ${surrogate}`;
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > KEY_BYTES_MAX) return `is ${bytes} bytes of UTF-8; the limit is ${KEY_BYTES_MAX} bytes`;
  const control = text.search(CONTROL);
  if (control !== -1) {
    const code = text.codePointAt(control)!.toString(16).toUpperCase().padStart(4, '0');
    return `holds the control character U+${code} at character ${control}`;
  }
  return null;
}

function keyProblem(text: string): string | null {
  if (text.length === 0) return 'is empty';
  const problem = prefixProblem(text);
  if (problem !== null) return problem;
  const dots = text.split('/').find((segment) => segment === '.' || segment === '..');
  if (dots !== undefined) return `has a '${dots}' segment, which HTTP clients remove from URLs`;
  return null;
}

/** `text` if it is a legal key; else 400 invalid_key naming `field`. */
export function checkKey(field: string, text: string): string {
  const problem = keyProblem(text);
  if (problem !== null) throw invalidKey(field, problem);
  return text;
}

/** `text` if it is a legal prefix (or `after` cursor): possibly empty, otherwise as a key's characters. */
export function checkPrefix(field: string, text: string): string {
  const problem = prefixProblem(text);
  if (problem !== null) throw invalidKey(field, problem);
  return text;
}

/** The raw key from a URL, cut where the router cuts the query ('?' or '#'). */
function encodedKeyOf(url: string): string {
  const path = url.slice(0, url.search(/[?#]|$/));
  return path.slice(path.indexOf(KV_PATH_PREFIX) + KV_PATH_PREFIX.length);
}

/** The key a /v1/kv/ URL names, percent-decoded; throws ApiError invalid_key saying what is wrong with it. */
export function keyFromUrl(url: string): string {
  const decoded = decodePercent(encodedKeyOf(url), false);
  if ('problem' in decoded) throw invalidKey('key', decoded.problem);
  return checkKey('key', decoded.text);
}

/** The router rejects a URL it cannot percent-decode before any route runs; for a KV URL, say what is wrong with the key. */
export function badUrlError(url: string): ApiError {
  if (url.startsWith(KV_PATH_PREFIX)) {
    try {
      keyFromUrl(url);
    } catch (err) {
      if (err instanceof ApiError) return err;
      throw err;
    }
  }
  return new ApiError(400, 'bad_request', 'the URL path is not valid percent-encoded UTF-8');
}
