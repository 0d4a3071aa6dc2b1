// KV operations as they travel in REQUEST/ORDERED bodies, and their results. A body that decodes to no
// valid operation is still a log entry: every replica applies it identically, as an `invalid` result.
// Every decision an operation makes (a CAS precondition, a txn compare) is taken inside the replicated
// apply, so all replicas take the same one (docs/design.md §4).
import { isRecord, isSeq, packBody, unpackBody } from '../mrtom/body.js';

/** A write's precondition: the key's modRevision must equal this (If-Match), or the key must be absent (If-None-Match: *). */
export type Precondition = { modRevision: number } | { absent: true };

/** Keys starting with `prefix`, in byte order, strictly after `after` when given, at most `limit` of them. */
export interface RangeQuery {
  prefix: string;
  after?: string;
  limit: number;
}

export type CompareTarget = 'value' | 'modRevision' | 'createRevision' | 'version' | 'exists';
export type CompareOperator = '==' | '!=' | '<' | '>';

export interface Compare {
  key: string;
  target: CompareTarget;
  op: CompareOperator;
  /** Bytes for 'value', a boolean for 'exists', an integer for the revisions and version. */
  value: Uint8Array | boolean | number;
}

export type TxnOp =
  | { type: 'put'; key: string; value: Uint8Array; contentType?: string }
  | { type: 'get'; key: string }
  | { type: 'delete'; key: string }
  | { type: 'range'; query: RangeQuery };

export interface Txn {
  compare: Compare[];
  success: TxnOp[];
  failure: TxnOp[];
}

export type KvOp =
  /** `lease`: the key is deleted when that lease is revoked or expires. */
  | { type: 'put'; key: string; value: Uint8Array; contentType?: string; require?: Precondition; lease?: number }
  | { type: 'delete'; key: string; require?: Precondition }
  | { type: 'delete_range'; prefix: string }
  | { type: 'txn'; txn: Txn }
  /** Carries nothing: applying it tells the node that everything ordered before it is applied (a read barrier). */
  | { type: 'barrier' }
  /** A lease's id is the slot of its grant, unique and the same on every replica. Its time to live is data
   *  here: only the leader's runtime measures it, and proposes a revoke when it runs out (lease-expiry.ts). */
  | { type: 'lease_grant'; ttlMs: number }
  | { type: 'lease_keepalive'; lease: number }
  /** Deletes the lease's keys at one revision, at most DELETE_RANGE_KEYS_MAX per op (`more` says to repeat). */
  | { type: 'lease_revoke'; lease: number };

/** What a submitter puts in a REQUEST body. `floor`: every request id of this client at or below it has
 *  completed or been abandoned, so replicas may forget their cached results (bounds the client table). */
export interface OpRequest {
  floor: number;
  op: KvOp;
}

export interface KeyRecord {
  value: Uint8Array;
  contentType?: string;
  lease?: number;
  createRevision: number;
  modRevision: number;
  version: number;
}

export interface KeyEntry {
  key: string;
  record: KeyRecord;
}

export type TxnOpResult =
  | { type: 'put'; modRevision: number }
  | { type: 'get'; record: KeyRecord | null }
  | { type: 'delete'; deleted: 0 | 1 }
  | { type: 'range'; entries: KeyEntry[]; more: boolean };

export type OpResult =
  | { type: 'put'; revision: number; modRevision: number }
  | { type: 'delete'; revision: number; deleted: 0 | 1 }
  /** `more`: keys under the prefix remain, because at most DELETE_RANGE_KEYS_MAX go per op. */
  | { type: 'delete_range'; revision: number; deleted: number; more: boolean }
  /** A put or delete whose precondition did not hold; `modRevision` is the key's current one, null when absent. */
  | { type: 'precondition_failed'; revision: number; modRevision: number | null }
  | { type: 'txn'; revision: number; succeeded: boolean; results: TxnOpResult[] }
  | { type: 'barrier'; revision: number }
  /** A lease granted or kept alive: the leader counts its time to live from now. */
  | { type: 'lease'; revision: number; lease: number; ttlMs: number }
  | { type: 'lease_revoked'; revision: number; lease: number; deleted: number; more: boolean }
  | { type: 'lease_not_found'; revision: number; lease: number }
  | { type: 'invalid'; revision: number; reason: string };

export interface LeaseRecord {
  ttlMs: number;
}

export function encodeOpRequest(request: OpRequest): Uint8Array {
  return packBody(request);
}

function decodePrecondition(value: unknown): Precondition | undefined | string {
  if (value === undefined) return undefined;
  if (isRecord(value) && isSeq(value.modRevision)) return { modRevision: value.modRevision };
  if (isRecord(value) && value.absent === true) return { absent: true };
  return 'require is neither {modRevision} nor {absent: true}';
}

function decodeRangeQuery(value: unknown): RangeQuery | string {
  if (!isRecord(value) || typeof value.prefix !== 'string' || !isSeq(value.limit)) return 'range query must be {prefix, limit, after?}';
  if (value.after === undefined) return { prefix: value.prefix, limit: value.limit };
  return typeof value.after === 'string' ? { prefix: value.prefix, limit: value.limit, after: value.after } : 'range.after is not a string';
}

function decodePut(value: Record<string, unknown>): { key: string; value: Uint8Array; contentType?: string } | string {
  if (typeof value.key !== 'string') return 'put.key is not a string';
  if (!(value.value instanceof Uint8Array)) return 'put.value is not binary';
  if (value.contentType === undefined) return { key: value.key, value: value.value };
  if (typeof value.contentType !== 'string') return 'put.contentType is not a string';
  return { key: value.key, value: value.value, contentType: value.contentType };
}

function decodeTxnOp(value: unknown): TxnOp | string {
  if (!isRecord(value)) return 'txn op is not a map';
  switch (value.type) {
    case 'put': {
      const put = decodePut(value);
      return typeof put === 'string' ? put : { type: 'put', ...put };
    }
    case 'get':
    case 'delete':
      return typeof value.key === 'string' ? { type: value.type, key: value.key } : `${value.type}.key is not a string`;
    case 'range': {
      const query = decodeRangeQuery(value.query);
      return typeof query === 'string' ? query : { type: 'range', query };
    }
    default:
      return `unknown txn op type ${String(value.type)}`;
  }
}

const COMPARE_TARGETS: readonly string[] = ['value', 'modRevision', 'createRevision', 'version', 'exists'];
const COMPARE_OPERATORS: readonly string[] = ['==', '!=', '<', '>'];

function decodeCompare(value: unknown): Compare | string {
  if (!isRecord(value) || typeof value.key !== 'string') return 'compare must be a map with a string key';
  if (typeof value.target !== 'string' || !COMPARE_TARGETS.includes(value.target)) return `unknown compare target ${String(value.target)}`;
  if (typeof value.op !== 'string' || !COMPARE_OPERATORS.includes(value.op)) return `unknown compare op ${String(value.op)}`;
  const target = value.target as CompareTarget;
  const operand = value.value;
  const fits = target === 'value' ? operand instanceof Uint8Array : target === 'exists' ? typeof operand === 'boolean' : isSeq(operand);
  if (!fits) return `compare value does not fit target ${target}`;
  return { key: value.key, target, op: value.op as CompareOperator, value: operand as Compare['value'] };
}

function decodeList<T>(value: unknown, decode: (item: unknown) => T | string): T[] | string {
  if (!Array.isArray(value)) return 'expected a list';
  const items: T[] = [];
  for (const item of value) {
    const decoded = decode(item);
    if (typeof decoded === 'string') return decoded;
    items.push(decoded);
  }
  return items;
}

function decodeTxn(value: unknown): Txn | string {
  if (!isRecord(value)) return 'txn is not a map';
  const compare = decodeList(value.compare, decodeCompare);
  if (typeof compare === 'string') return `txn.compare: ${compare}`;
  const success = decodeList(value.success, decodeTxnOp);
  if (typeof success === 'string') return `txn.success: ${success}`;
  const failure = decodeList(value.failure, decodeTxnOp);
  if (typeof failure === 'string') return `txn.failure: ${failure}`;
  return { compare, success, failure };
}

function withPrecondition<T extends object>(op: T, require: Precondition | undefined): T & { require?: Precondition } {
  return require === undefined ? op : { ...op, require };
}

function decodeOp(value: unknown): KvOp | string {
  if (!isRecord(value)) return 'op is not a map';
  switch (value.type) {
    case 'put': {
      const put = decodePut(value);
      const require = decodePrecondition(value.require);
      if (typeof put === 'string') return put;
      if (typeof require === 'string') return require;
      if (value.lease !== undefined && !isSeq(value.lease)) return 'put.lease is not a lease id';
      const op = withPrecondition({ type: 'put' as const, ...put }, require);
      return value.lease === undefined ? op : { ...op, lease: value.lease };
    }
    case 'lease_grant':
      return isSeq(value.ttlMs) && value.ttlMs > 0
        ? { type: 'lease_grant', ttlMs: value.ttlMs }
        : 'lease_grant.ttlMs is not a positive integer';
    case 'lease_keepalive':
    case 'lease_revoke':
      return isSeq(value.lease) ? { type: value.type, lease: value.lease } : `${value.type}.lease is not a lease id`;
    case 'delete': {
      const require = decodePrecondition(value.require);
      if (typeof value.key !== 'string') return 'delete.key is not a string';
      return typeof require === 'string' ? require : withPrecondition({ type: 'delete' as const, key: value.key }, require);
    }
    case 'delete_range':
      return typeof value.prefix === 'string' ? { type: 'delete_range', prefix: value.prefix } : 'delete_range.prefix is not a string';
    case 'txn': {
      const txn = decodeTxn(value.txn);
      return typeof txn === 'string' ? txn : { type: 'txn', txn };
    }
    case 'barrier':
      return { type: 'barrier' };
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
