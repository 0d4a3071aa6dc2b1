// What an Idempotency-Key may be (docs/api.md, "Idempotency-Key"): printable ASCII without spaces, as in
// Stripe's API and the IETF httpapi draft. The client and the server check the same rule. An HTTP request
// that submits several ops gives each op after the first a key of its own, `<key> <part>`: a space never
// occurs in a caller's key, so such a key collides with no caller's.
export const IDEMPOTENCY_KEY_CHARS_MAX = 255;
const PART_CHARS_MAX = 16;

const CALLER_KEY = new RegExp(`^[\\x21-\\x7e]{1,${IDEMPOTENCY_KEY_CHARS_MAX}}$`);
const OP_KEY = new RegExp(`^[\\x21-\\x7e]{1,${IDEMPOTENCY_KEY_CHARS_MAX}}( [\\x21-\\x7e]{1,${PART_CHARS_MAX}})?$`);

/** A key as a caller may send it. */
export function isIdempotencyKey(key: string): boolean {
  return CALLER_KEY.test(key);
}

/** A key as an op may carry it: a caller's, or one derived from it by idempotencyPartKey. */
export function isOpIdempotencyKey(key: string): boolean {
  return OP_KEY.test(key);
}

/** The key of one more op of the request keyed `key`, named `part` (short, printable, no spaces). */
export function idempotencyPartKey(key: string, part: string): string {
  const derived = `${key} ${part}`;
  if (!isOpIdempotencyKey(derived)) throw new RangeError(`'${part}' cannot name a part of a keyed request`);
  return derived;
}

/** The same rule as a JSON-schema pattern, for the API's header schemas. */
export const IDEMPOTENCY_KEY_SCHEMA_PATTERN = CALLER_KEY.source;
