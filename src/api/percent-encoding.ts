// Strict percent-decoding (RFC 3986 §2.1) to well-formed UTF-8, shared by the key in a URL path and by
// the query string, so `%e9`, `%ZZ` or a lone `%` mean the same error wherever they appear.

const utf8Strict = new TextDecoder('utf-8', { fatal: true });

/** Why `bytes` failed strict UTF-8 decoding. ED A0..BF is the only way to spell U+D800..U+DFFF. */
function utf8Problem(bytes: Buffer): string {
  for (let i = 0; i + 1 < bytes.length; i++) {
    if (bytes[i] === 0xed && bytes[i + 1]! >= 0xa0) {
      return `is not well-formed UTF-8: bytes ${i}-${i + 2} encode a lone UTF-16 surrogate`;
    }
  }
  return 'is not well-formed UTF-8 after percent-decoding';
}

/**
 * The text `encoded` spells, or what is wrong with it (a phrase to follow the field's name). Node's HTTP
 * parser admits only ASCII in a request target, so every other byte arrives as %XX. In a query string
 * `+` stands for a space (application/x-www-form-urlencoded); in a path it is itself.
 */
export function decodePercent(encoded: string, plusIsSpace: boolean): { text: string } | { problem: string } {
  const bad = encoded.search(/%(?![0-9a-fA-F]{2})/);
  if (bad !== -1) return { problem: `has invalid percent-encoding at character ${bad}: '%' must be followed by two hex digits` };
  const literal = plusIsSpace ? encoded.replaceAll('+', ' ') : encoded;
  // Splitting on a capture group alternates literal text (even indexes) and hex pairs (odd indexes).
  const parts = literal.split(/%([0-9a-fA-F]{2})/);
  const bytes = Buffer.concat(parts.map((part, i) => (i % 2 === 1 ? Buffer.of(parseInt(part, 16)) : Buffer.from(part, 'utf8'))));
  try {
    return { text: utf8Strict.decode(bytes) };
  } catch {
    // The fatal decoder throws on any ill-formed sequence; it is not a failure to handle, only to explain.
    return { problem: utf8Problem(bytes) };
  }
}
