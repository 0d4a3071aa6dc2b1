// Every write is one logical operation with one Idempotency-Key, sent unchanged on every retry to any
// replica, so the server can answer a repeat with the original result (docs/client.md, exactly-once).
// The key also decides the retry policy: a write whose attempt ended without an answer is repeated only
// if it is conditional or carries a key (transport.ts).
import { randomUUID } from 'node:crypto';
import type { Dispatcher } from 'undici';
import type { HttpRequest, Repeatable } from './transport.js';
import { IDEMPOTENCY_KEY_CHARS_MAX, isIdempotencyKey } from '../lib/idempotency-key.js';

export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';

export interface WriteOptions {
  /**
   * The operation's Idempotency-Key. Default: a new random UUID per call. Pass your own to make a write
   * exactly-once across restarts of your process; pass false to send none (an attempt that ends without
   * an answer is then not retried unless the write is conditional).
   */
  idempotencyKey?: string | false;
  signal?: AbortSignal;
}

/** Sends a request and parses its JSON answer. */
export type JsonCaller = <T>(request: HttpRequest) => Promise<T>;

export function writeRequest(
  method: Dispatcher.HttpMethod,
  path: string,
  options: WriteOptions,
  extra: { headers?: Record<string, string>; body?: Uint8Array | string; conditional?: boolean } = {},
): HttpRequest {
  const key = options.idempotencyKey === undefined ? randomUUID() : options.idempotencyKey;
  if (key !== false && !isIdempotencyKey(key))
    throw new TypeError(`idempotencyKey must be 1 to ${IDEMPOTENCY_KEY_CHARS_MAX} printable ASCII characters without spaces`);
  const headers = { ...extra.headers, ...(key === false ? {} : { [IDEMPOTENCY_KEY_HEADER]: key }) };
  const repeatable: Repeatable = key !== false ? 'keyed' : extra.conditional ? 'conditional' : 'no';
  return {
    method,
    path,
    headers,
    repeatable,
    ...(extra.body === undefined ? {} : { body: extra.body }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  };
}
