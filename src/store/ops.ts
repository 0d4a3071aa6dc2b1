// KV operations as they travel in REQUEST/ORDERED bodies, and their results. A body that decodes to no
// valid operation is still a log entry: every replica applies it identically, as an `invalid` result.
// Every decision an operation makes (a CAS precondition, a txn compare) is taken inside the replicated
// apply, so all replicas take the same one (docs/design.md §4).
import { isRecord, isSeq, packBody, unpackBody } from '../mrtom/body.js';
import type { Idempotency } from './idempotency.js';
import { isOpIdempotencyKey } from '../lib/idempotency-key.js';
import { decodeTokenRecord, isTokenId, type TokenRecord } from './token-table.js';

/** A write's precondition: the key's modRevision must equal this (If-Match: "N"), the key must exist
 *  (If-Match: *), or it must be absent (If-None-Match: *). */
export type Precondition = { modRevision: number } | { exists: true } | { absent: true };

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
  /** `heldBytes`: in a split txn (`held` on its op), the value is the next heldBytes bytes of the pieces
   *  held before it, taken by the txn's puts in branch order (success, then failure); `value` is empty. */
  | { type: 'put'; key: string; value: Uint8Array; contentType?: string; heldBytes?: number }
  | { type: 'get'; key: string }
  | { type: 'delete'; key: string }
  | { type: 'range'; query: RangeQuery };

export interface Txn {
  compare: Compare[];
  success: TxnOp[];
  failure: TxnOp[];
}

export type KvOp =
  /** `lease`: the key is deleted when that lease is revoked or expires. `prev`: the result carries the
   *  record the put replaced. */
  | {
      type: 'put';
      key: string;
      value: Uint8Array;
      contentType?: string;
      require?: Precondition;
      lease?: number;
      prev?: true;
      /** The last piece of a split put (pieces.ts): `value` is the tail, and the value stored is the bytes
       *  of the `pieces` piece ops before it (request ids first .. first + pieces - 1) followed by it. */
      held?: HeldPieces;
    }
  /** One piece of a put too large for one REQUEST, held in replicated state until its last piece (the
   *  put itself) applies; request id first + index (docs/protocol.md, "Large values"). */
  | { type: 'piece'; first: number; index: number; bytes: Uint8Array }
  | { type: 'delete'; key: string; require?: Precondition; prev?: true }
  | { type: 'delete_range'; prefix: string }
  /** `held`: the last piece of a split txn, whose puts marked `heldBytes` take their values from the pieces. */
  | { type: 'txn'; txn: Txn; held?: HeldPieces }
  /** Carries nothing: applying it tells the node that everything ordered before it is applied (a read barrier). */
  | { type: 'barrier' }
  /** A lease's id names where its grant sits in the log (slot × REQUEST_OPS_MAX + its index in the request),
   *  unique and the same on every replica. Its time to live is data
   *  here: only the leader's runtime measures it, and proposes a revoke when it runs out (lease-expiry.ts). */
  | { type: 'lease_grant'; ttlMs: number }
  | { type: 'lease_keepalive'; lease: number }
  /** Deletes the lease's keys at one revision, at most DELETE_RANGE_KEYS_MAX per op (`more` says to repeat). */
  | { type: 'lease_revoke'; lease: number }
  /** Raises the compact revision to `revision` (never lowers it): older history becomes unreadable. */
  | { type: 'compact'; revision: number }
  /** Auth tokens (token-op.ts): the submitting replica drew the id and secret, the op carries the hash.
   *  A bootstrap creates the root token only if no root was ever bootstrapped, so however many replicas
   *  start with auth on at once, exactly one root token results. */
  | { type: 'token_create'; token: TokenRecord }
  | { type: 'token_bootstrap'; token: TokenRecord }
  | { type: 'token_revoke'; id: string };

/** The ops a submitter splits into pieces when they do not fit one datagram (docs/protocol.md, "Large values"). */
export type SplittableOp = Extract<KvOp, { type: 'put' | 'txn' }>;

export function isSplittable(op: KvOp): op is SplittableOp {
  return op.type === 'put' || op.type === 'txn';
}

/** What the last op of a split put or txn says about the pieces before it. */
export interface HeldPieces {
  /** Request id of piece 0, which names the assembly. */
  first: number;
  /** Piece ops before it: request ids first .. first + pieces - 1, applied in that order. */
  pieces: number;
}

/** Pieces (piece ops plus the put or txn) of one split op at most: bounds what an assembly holds. */
export const PIECES_PER_PUT_MAX = 1024;

/** One operation of a REQUEST, with the id its submitter gave it: deduplication is per operation, by that
 *  id and, for a write sent under an Idempotency-Key, by the key too (idempotency.ts). */
export interface RequestOp {
  requestId: number;
  op: KvOp;
  idempotency?: Idempotency;
}

/**
 * What a submitter puts in a REQUEST body: a batch of operations, applied in order at one slot.
 * `floor`: every request id of this client at or below it has completed or been abandoned, so replicas
 * may forget their cached results (bounds the client table).
 */
export interface OpRequest {
  floor: number;
  ops: RequestOp[];
}

/** Operations in one REQUEST at most; also what makes lease ids (slot × this + index) unique. */
export const REQUEST_OPS_MAX = 1024;

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
  /** `prev` when the op asked for it: the record it replaced, null when there was none. */
  | { type: 'put'; revision: number; modRevision: number; prev?: KeyRecord | null }
  | { type: 'delete'; revision: number; deleted: 0 | 1; prev?: KeyRecord | null }
  /** `more`: keys under the prefix remain, because at most DELETE_RANGE_KEYS_MAX go per op. */
  | { type: 'delete_range'; revision: number; deleted: number; more: boolean }
  /** A put or delete whose precondition did not hold; `modRevision` is the key's current one, null when absent. */
  | { type: 'precondition_failed'; revision: number; modRevision: number | null }
  | { type: 'txn'; revision: number; succeeded: boolean; results: TxnOpResult[] }
  | { type: 'barrier'; revision: number }
  /** A piece of a split put is held; the put takes effect at its last piece. */
  | { type: 'piece_held'; revision: number }
  /** A lease granted or kept alive: the leader counts its time to live from now. */
  | { type: 'lease'; revision: number; lease: number; ttlMs: number }
  | { type: 'lease_revoked'; revision: number; lease: number; deleted: number; more: boolean }
  | { type: 'lease_not_found'; revision: number; lease: number }
  /** The op's Idempotency-Key was used before with another request; nothing was applied. */
  | { type: 'idempotency_conflict'; revision: number }
  /** History older than `compactRevision` is gone; reads and watches start at it or later. */
  | { type: 'compact'; revision: number; compactRevision: number }
  /** The op named a revision the store has not reached. */
  | { type: 'future_revision'; revision: number }
  /** `created` false: the id is taken, or (bootstrap) a root token was bootstrapped before. */
  | { type: 'token_created'; revision: number; id: string; created: boolean }
  /** The cluster holds TOKENS_MAX tokens already. */
  | { type: 'too_many_tokens'; revision: number }
  | { type: 'token_revoked'; revision: number; id: string; revoked: 0 | 1 }
  | { type: 'invalid'; revision: number; reason: string };

export interface LeaseRecord {
  ttlMs: number;
  /** Keys attached to the lease. */
  keys: number;
}

/**
 * Ops that read a range of stored keys (kv or lease index) at apply. Each travels in a REQUEST of its own,
 * so the range a replica prefetches before applying the slot needs no correction for earlier writes of
 * the slot (state-machine.ts).
 */
export function travelsAlone(op: KvOp): boolean {
  if (op.type === 'delete_range' || op.type === 'lease_revoke') return true;
  return op.type === 'txn' && [...op.txn.success, ...op.txn.failure].some((txnOp) => txnOp.type === 'range');
}

export function encodeOpRequest(request: OpRequest): Uint8Array {
  return assembleOpRequest(
    request.floor,
    request.ops.map((requestOp) => encodeRequestOp(requestOp)),
  );
}

/** One operation as it sits in a REQUEST body; a submitter encodes each once and assembles batches of them. */
export function encodeRequestOp({ requestId, op, idempotency }: RequestOp): Uint8Array {
  if (idempotency === undefined) return packBody([requestId, op]);
  return packBody([requestId, op, [idempotency.key, idempotency.fingerprint, idempotency.atMs]]);
}

const FLOOR_KEY = packBody('floor');
const OPS_KEY = packBody('ops');
/** msgpack: a map of two entries. */
const MAP_OF_TWO = 0x82;

function arrayHeader(length: number): Uint8Array {
  if (length < 16) return Uint8Array.of(0x90 | length);
  return Uint8Array.of(0xdc, length >> 8, length & 0xff); // array16; a REQUEST holds far fewer than 65,536 ops
}

/** The msgpack of {floor, ops: [...]} from operations already encoded by encodeRequestOp. */
export function assembleOpRequest(floor: number, encodedOps: readonly Uint8Array[]): Uint8Array {
  return Buffer.concat([Uint8Array.of(MAP_OF_TWO), FLOOR_KEY, packBody(floor), OPS_KEY, arrayHeader(encodedOps.length), ...encodedOps]);
}

/** Bytes assembleOpRequest adds around the encoded operations, for sizing a batch before assembling it. */
export function opRequestOverheadBytes(floor: number, opCount: number): number {
  return 1 + FLOOR_KEY.byteLength + packBody(floor).byteLength + OPS_KEY.byteLength + arrayHeader(opCount).byteLength;
}

function decodePrecondition(value: unknown): Precondition | undefined | string {
  if (value === undefined) return undefined;
  if (isRecord(value) && isSeq(value.modRevision)) return { modRevision: value.modRevision };
  if (isRecord(value) && value.exists === true) return { exists: true };
  if (isRecord(value) && value.absent === true) return { absent: true };
  return 'require is neither {modRevision}, {exists: true} nor {absent: true}';
}

function decodeRangeQuery(value: unknown): RangeQuery | string {
  if (!isRecord(value) || typeof value.prefix !== 'string' || !isSeq(value.limit)) return 'range query must be {prefix, limit, after?}';
  if (value.after === undefined) return { prefix: value.prefix, limit: value.limit };
  return typeof value.after === 'string' ? { prefix: value.prefix, limit: value.limit, after: value.after } : 'range.after is not a string';
}

/** Why a write cannot name `key`, or null: the store's layout ends keys with NUL inside its own records (keys.ts). */
function writtenKeyProblem(op: string, key: unknown): string | null {
  if (typeof key !== 'string') return `${op}.key is not a string`;
  return key.includes('\0') ? `${op}.key holds a NUL character` : null;
}

function decodePut(value: Record<string, unknown>): { key: string; value: Uint8Array; contentType?: string } | string {
  const keyProblem = writtenKeyProblem('put', value.key);
  if (keyProblem !== null) return keyProblem;
  const key = value.key as string;
  if (!(value.value instanceof Uint8Array)) return 'put.value is not binary';
  if (value.contentType === undefined) return { key, value: value.value };
  if (typeof value.contentType !== 'string') return 'put.contentType is not a string';
  return { key, value: value.value, contentType: value.contentType };
}

function decodeHeld(op: 'put' | 'txn', value: unknown): HeldPieces | undefined | string {
  if (value === undefined) return undefined;
  if (!isRecord(value) || !isSeq(value.first) || value.first === 0 || !isSeq(value.pieces)) return `${op}.held is not {first, pieces}`;
  if (value.pieces === 0 || value.pieces >= PIECES_PER_PUT_MAX) return `${op}.held.pieces is not from 1 to ${PIECES_PER_PUT_MAX - 1}`;
  return { first: value.first, pieces: value.pieces };
}

/** A piece's request id is first + index, and a split put's first + pieces: its pieces are consecutive
 *  ops of one submitter, so no other request can be mistaken for one of them. */
function pieceIdProblem(requestId: number, op: KvOp): string | null {
  if (op.type === 'piece' && op.first + op.index !== requestId) return 'piece request id is not first + index';
  if (isSplittable(op) && op.held !== undefined && op.held.first + op.held.pieces !== requestId)
    return `split ${op.type} request id is not first + pieces`;
  return null;
}

function decodeTxnOp(value: unknown): TxnOp | string {
  if (!isRecord(value)) return 'txn op is not a map';
  switch (value.type) {
    case 'put': {
      const put = decodePut(value);
      if (typeof put === 'string') return put;
      if (value.heldBytes === undefined) return { type: 'put', ...put };
      if (!isSeq(value.heldBytes) || value.heldBytes === 0) return 'put.heldBytes is not a positive integer';
      if (put.value.byteLength !== 0) return 'put.heldBytes comes with an empty value';
      return { type: 'put', ...put, heldBytes: value.heldBytes };
    }
    case 'get':
      return typeof value.key === 'string' ? { type: 'get', key: value.key } : 'get.key is not a string';
    case 'delete': {
      const keyProblem = writtenKeyProblem('delete', value.key);
      return keyProblem === null ? { type: 'delete', key: value.key as string } : keyProblem;
    }
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

function withPrev<T extends object>(op: T, prev: unknown): (T & { prev?: true }) | string {
  if (prev === undefined) return op;
  return prev === true ? { ...op, prev: true } : 'prev is not true';
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
      const held = decodeHeld('put', value.held);
      if (typeof held === 'string') return held;
      const op = withPrecondition({ type: 'put' as const, ...put, ...(held === undefined ? {} : { held }) }, require);
      return withPrev(value.lease === undefined ? op : { ...op, lease: value.lease }, value.prev);
    }
    case 'piece':
      if (!isSeq(value.first) || value.first === 0) return 'piece.first is not a request id';
      if (!isSeq(value.index) || value.index >= PIECES_PER_PUT_MAX - 1) return `piece.index is not below ${PIECES_PER_PUT_MAX - 1}`;
      if (!(value.bytes instanceof Uint8Array)) return 'piece.bytes is not binary';
      return { type: 'piece', first: value.first, index: value.index, bytes: value.bytes };
    case 'lease_grant':
      return isSeq(value.ttlMs) && value.ttlMs > 0
        ? { type: 'lease_grant', ttlMs: value.ttlMs }
        : 'lease_grant.ttlMs is not a positive integer';
    case 'lease_keepalive':
    case 'lease_revoke':
      return isSeq(value.lease) ? { type: value.type, lease: value.lease } : `${value.type}.lease is not a lease id`;
    case 'delete': {
      const require = decodePrecondition(value.require);
      const keyProblem = writtenKeyProblem('delete', value.key);
      if (keyProblem !== null) return keyProblem;
      if (typeof require === 'string') return require;
      return withPrev(withPrecondition({ type: 'delete' as const, key: value.key as string }, require), value.prev);
    }
    case 'delete_range':
      return typeof value.prefix === 'string' ? { type: 'delete_range', prefix: value.prefix } : 'delete_range.prefix is not a string';
    case 'txn': {
      const txn = decodeTxn(value.txn);
      const held = decodeHeld('txn', value.held);
      if (typeof txn === 'string') return txn;
      if (typeof held === 'string') return held;
      const takesHeld = [...txn.success, ...txn.failure].some((op) => op.type === 'put' && op.heldBytes !== undefined);
      if (takesHeld !== (held !== undefined)) return "txn.held and its puts' heldBytes come together";
      return held === undefined ? { type: 'txn', txn } : { type: 'txn', txn, held };
    }
    case 'barrier':
      return { type: 'barrier' };
    case 'compact':
      return isSeq(value.revision) ? { type: 'compact', revision: value.revision } : 'compact.revision is not a revision';
    case 'token_create':
    case 'token_bootstrap': {
      const token = decodeTokenRecord(value.token);
      return typeof token === 'string' ? token : { type: value.type, token };
    }
    case 'token_revoke':
      return isTokenId(value.id) ? { type: 'token_revoke', id: value.id } : 'token_revoke.id is not a token id';
    default:
      return `unknown op type ${String(value.type)}`;
  }
}

function decodeIdempotency(value: unknown): Idempotency | string {
  if (!Array.isArray(value) || value.length !== 3) return 'idempotency must be [key, fingerprint, atMs]';
  const [key, fingerprint, atMs] = value as unknown[];
  if (typeof key !== 'string' || !isOpIdempotencyKey(key)) return 'idempotency key is not printable ASCII of the allowed length';
  if (!(fingerprint instanceof Uint8Array)) return 'idempotency fingerprint is not binary';
  if (!isSeq(atMs)) return 'idempotency atMs is not a time';
  return { key, fingerprint, atMs };
}

function decodeRequestOp(value: unknown): RequestOp | string {
  if (!Array.isArray(value) || (value.length !== 2 && value.length !== 3) || !isSeq(value[0]) || value[0] === 0)
    return 'a request op must be [requestId >= 1, op, idempotency?]';
  const op = decodeOp(value[1]);
  if (typeof op === 'string') return op;
  const idProblem = pieceIdProblem(value[0], op);
  if (idProblem !== null) return idProblem;
  if (value.length === 2) return { requestId: value[0], op };
  const idempotency = decodeIdempotency(value[2]);
  return typeof idempotency === 'string' ? idempotency : { requestId: value[0], op, idempotency };
}

/** Decodes a REQUEST body. Never throws: a malformed body yields the reason, applied as `invalid`. */
export function decodeOpRequest(bytes: Uint8Array): OpRequest | { invalid: string } {
  let value: unknown;
  try {
    value = unpackBody(bytes);
  } catch (err) {
    return { invalid: (err as Error).message };
  }
  if (!isRecord(value) || !isSeq(value.floor) || !Array.isArray(value.ops)) return { invalid: 'request body must be {floor, ops}' };
  if (value.ops.length === 0 || value.ops.length > REQUEST_OPS_MAX)
    return { invalid: `a request holds 1 to ${REQUEST_OPS_MAX} ops, not ${value.ops.length}` };
  const ops = decodeList(value.ops, decodeRequestOp);
  if (typeof ops === 'string') return { invalid: ops };
  if (new Set(ops.map((o) => o.requestId)).size !== ops.length) return { invalid: 'request ids repeat within a request' };
  if (ops.length > 1 && ops.some(({ op }) => travelsAlone(op))) return { invalid: 'a range-reading op must be the only op of its request' };
  return { floor: value.floor, ops };
}
