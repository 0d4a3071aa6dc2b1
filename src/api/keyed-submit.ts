// Submission under the request's Idempotency-Key (docs/api.md): the header schema has checked the key; a
// route that submits several ops for one request names each further op's part, so that a retry of the
// whole request replays every op it had applied, in order (src/lib/idempotency-key.ts).
import type { IncomingHttpHeaders } from 'node:http';
import type { KvOp, OpResult } from '../store/ops.js';
import type { KvService } from './service.js';
import { idempotencyPartKey } from '../lib/idempotency-key.js';

export type KeyedSubmit = (op: KvOp, part?: string) => Promise<OpResult>;

export function keyedSubmit(service: KvService, headers: IncomingHttpHeaders): KeyedSubmit {
  const header = headers['idempotency-key'];
  const key = typeof header === 'string' ? header : undefined;
  return (op, part) => service.submit(op, key === undefined || part === undefined ? key : idempotencyPartKey(key, part));
}
