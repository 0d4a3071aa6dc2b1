// msgpack bodies (msgpackr). Decoding is strict: anything that is not well-formed msgpack, or not the
// shape a message type requires, becomes a DecodeError('body') that receivers count and drop.
import { Packr } from 'msgpackr';
import { DecodeError } from './header.js';

const packr = new Packr({ useRecords: false, mapsAsObjects: true, int64AsType: 'number' });

export function packBody(value: unknown): Uint8Array {
  return packr.pack(value);
}

export function unpackBody(bytes: Uint8Array): unknown {
  try {
    return packr.unpack(bytes);
  } catch (err) {
    throw new DecodeError('body', `malformed msgpack body: ${(err as Error).message}`);
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

export function isSeq(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** The named fields of `value`, each a seq (non-negative safe integer); `onBad` is called with the first
 *  that is not (it throws: a DecodeError for network input, an assertion for stored data). */
export function seqFields<K extends string>(
  value: Record<string, unknown>,
  keys: readonly K[],
  onBad: (key: K) => never,
): Record<K, number> {
  const out = {} as Record<K, number>;
  for (const key of keys) {
    const n = value[key];
    if (!isSeq(n)) onBad(key);
    out[key] = n;
  }
  return out;
}
