// KV operations as they travel in REQUEST/ORDERED bodies, and their results. A body that decodes to no
// valid operation is still a log entry: every replica applies it identically, as an `invalid` result.
import { isRecord, isSeq, packBody, unpackBody } from '../mrtom/body.js';

export type KvOp =
  | { type: 'put'; key: string; value: Uint8Array; contentType?: string }
  | { type: 'delete'; key: string }
  | { type: 'get'; key: string };

/** What a submitter puts in a REQUEST body. `floor`: every request id of this client at or below it has
 *  completed or been abandoned, so replicas may forget their cached results (bounds the client table). */
export interface OpRequest {
  floor: number;
  op: KvOp;
}

export interface KeyRecord {
  value: Uint8Array;
  contentType?: string;
  createRevision: number;
  modRevision: number;
  version: number;
}

export type OpResult =
  | { type: 'put'; revision: number; modRevision: number }
  | { type: 'delete'; revision: number; deleted: 0 | 1 }
  | { type: 'get'; revision: number; record: KeyRecord | null }
  | { type: 'invalid'; revision: number; reason: string };

export function encodeOpRequest(request: OpRequest): Uint8Array {
  return packBody(request);
}

function decodeOp(value: unknown): KvOp | string {
  if (!isRecord(value)) return 'op is not a map';
  if (typeof value.key !== 'string') return 'op.key is not a string';
  switch (value.type) {
    case 'put':
      if (!(value.value instanceof Uint8Array)) return 'put.value is not binary';
      if (value.contentType !== undefined && typeof value.contentType !== 'string') return 'put.contentType is not a string';
      return value.contentType === undefined
        ? { type: 'put', key: value.key, value: value.value }
        : { type: 'put', key: value.key, value: value.value, contentType: value.contentType };
    case 'delete':
      return { type: 'delete', key: value.key };
    case 'get':
      return { type: 'get', key: value.key };
    default:
      return `unknown op type ${String(value.type)}`;
  }
}

/** Decodes a REQUEST body. Never throws: a malformed body yields the reason, applied as `invalid`. */
export function decodeOpRequest(bytes: Uint8Array): OpRequest | { invalid: string } {
  let value: unknown;
  try {
    value = unpackBody(bytes);
  } catch (err) {
    return { invalid: (err as Error).message };
  }
  if (!isRecord(value) || !isSeq(value.floor)) return { invalid: 'request body must be {floor, op}' };
  const op = decodeOp(value.op);
  return typeof op === 'string' ? { invalid: op } : { floor: value.floor, op };
}
