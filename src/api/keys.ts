// Turns the URL of a /v1/kv/<key> request into the key: everything after the prefix, '/' included,
// percent-decoded to well-formed UTF-8 of at most KEY_BYTES_MAX bytes (ecosystem.md §1.3).
import { ApiError } from './errors.js';

export const KV_PATH_PREFIX = '/v1/kv/';
export const KEY_BYTES_MAX = 4096;

const utf8Strict = new TextDecoder('utf-8', { fatal: true });

function invalidKey(problem: string): ApiError {
  return new ApiError(400, 'invalid_key', problem);
}

/** The raw key from a URL, cut where the router cuts the query ('?' or '#'). */
function encodedKeyOf(url: string): string {
  const path = url.slice(0, url.search(/[?#]|$/));
  return path.slice(path.indexOf(KV_PATH_PREFIX) + KV_PATH_PREFIX.length);
}

/** Node's HTTP parser admits only ASCII in a request target, so every other byte of a key arrives as %XX. */
function percentDecode(encoded: string): Buffer {
  const bad = encoded.search(/%(?![0-9a-fA-F]{2})/);
  if (bad !== -1) {
    throw invalidKey(`key has invalid percent-encoding at character ${bad}: '%' must be followed by two hex digits`);
  }
  // Splitting on a capture group alternates literal text (even indexes) and hex pairs (odd indexes).
  const parts = encoded.split(/%([0-9a-fA-F]{2})/);
  return Buffer.concat(parts.map((part, i) => (i % 2 === 1 ? Buffer.of(parseInt(part, 16)) : Buffer.from(part, 'utf8'))));
}

/** Why `bytes` failed strict UTF-8 decoding. ED A0..BF is the only way to spell U+D800..U+DFFF. */
function utf8Problem(bytes: Buffer): string {
  for (let i = 0; i + 1 < bytes.length; i++) {
    if (bytes[i] === 0xed && bytes[i + 1]! >= 0xa0) {
      return `key is not well-formed UTF-8: bytes ${i}-${i + 2} encode a lone UTF-16 surrogate`;
    }
  }
  return 'key is not well-formed UTF-8 after percent-decoding';
}

/** The key a /v1/kv/ URL names; throws ApiError invalid_key saying what is wrong with it. */
export function keyFromUrl(url: string): string {
  const encoded = encodedKeyOf(url);
  if (encoded.length === 0) throw invalidKey('key is empty');
  const bytes = percentDecode(encoded);
  if (bytes.length > KEY_BYTES_MAX) {
    throw invalidKey(`key is ${bytes.length} bytes of UTF-8; the limit is ${KEY_BYTES_MAX} bytes`);
  }
  try {
    return utf8Strict.decode(bytes);
  } catch {
    // The fatal decoder throws on any ill-formed sequence; it is not a failure to handle, only to explain.
    throw invalidKey(utf8Problem(bytes));
  }
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

/** A key or key prefix given as a query parameter or JSON field: at most KEY_BYTES_MAX bytes of UTF-8. */
export function checkKeyField(field: string, text: string): string {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > KEY_BYTES_MAX)
    throw new ApiError(400, 'invalid_key', `${field} is ${bytes} bytes of UTF-8; the limit is ${KEY_BYTES_MAX} bytes`);
  return text;
}
