// The database's key layout (docs/design.md §4): every record sits at the root under a one-byte prefix,
// as raw bytes, so an apply batch is one chained batch of plain keys. Numbers are big-endian, so
// LevelDB's bytewise order is numeric order; an API key is its UTF-8 bytes, which holds no NUL (store
// keys are checked at decode, ops.ts), so NUL can end a key inside a longer record key.
//   k<key>                    the key's live record (record-codec.ts); absent while deleted
//   h<revision u64><sub u16>  one record per change: the MVCC history and the watch history
//   r<key> 00 <revision u64>  the revisions of a key still in the history (sub and tombstone flag)
//   c<clientId u32>           one client's dedup state: floor and cached results (codec.ts)
//   l<lease u64>              a lease; i<lease u64><key>: a key attached to it
//   d<counter u64>            a write remembered under its Idempotency-Key (idempotency.ts)
//   q<clientId u32><first u64>              an assembly of a split put: pieces held, last slot (pieces.ts)
//   p<clientId u32><first u64><index u16>   one piece's bytes
//   t<token id>               an auth token: name, rules, secret hash (token-table.ts); a: the root was bootstrapped
//   m                         the applied meta; v: the consensus layer's view state (never replicated);
//   s                         present only while a snapshot install is written (snapshot.ts)
import assert from 'node:assert/strict';

const LIVE = 0x6b; // k
const HISTORY = 0x68; // h
const REVISIONS = 0x72; // r
const CLIENT = 0x63; // c
const LEASE = 0x6c; // l
const LEASE_KEY = 0x69; // i
const IDEMPOTENCY = 0x64; // d
const TOKEN = 0x74; // t
const ASSEMBLY = 0x71; // q
const PIECE = 0x70; // p

/** The applied StoreMeta. */
export const META_KEY = Buffer.from('m');
/** The consensus layer's ViewState: this replica's promises, written apart from the applied state. */
export const VIEW_STATE_KEY = Buffer.from('v');
/** Present once the root token was bootstrapped: a second bootstrap creates nothing (token-table.ts). */
export const ROOT_BOOTSTRAPPED_KEY = Buffer.from('a');
/** Present only while a snapshot install is being written. */
export const INSTALLING_KEY = Buffer.from('s');

const U32_MAX = 0xffff_ffff;
const U16_MAX = 0xffff;
const TWO_32 = 2 ** 32;

export function writeU64(buf: Buffer, value: number, offset: number): void {
  assert.ok(Number.isSafeInteger(value) && value >= 0, `key part must be a non-negative safe integer, got ${value}`);
  buf.writeUInt32BE(Math.floor(value / TWO_32), offset);
  buf.writeUInt32BE(value >>> 0, offset + 4);
}

export function readU64(buf: Buffer, offset: number): number {
  const value = buf.readUInt32BE(offset) * TWO_32 + buf.readUInt32BE(offset + 4);
  assert.ok(Number.isSafeInteger(value), `stored number at ${offset} is past 2^53`);
  return value;
}

/** A prefix byte followed by `key`'s UTF-8 bytes and `tail` bytes the caller fills in. */
function withKey(prefix: number, key: string, head: number, tail: number): { buf: Buffer; end: number } {
  const bytes = Buffer.byteLength(key, 'utf8');
  const buf = Buffer.allocUnsafe(1 + head + bytes + tail);
  buf[0] = prefix;
  buf.write(key, 1 + head, bytes, 'utf8');
  return { buf, end: 1 + head + bytes };
}

export function liveKey(key: string): Buffer {
  return withKey(LIVE, key, 0, 0).buf;
}

export function keyOfLiveKey(liveKey: Buffer): string {
  assert.equal(liveKey[0], LIVE, 'not a live record key');
  return liveKey.toString('utf8', 1);
}

/** Just past every live record. */
export const LIVE_END = Buffer.of(LIVE + 1);

export interface HistoryPosition {
  revision: number;
  /** The change's index among its revision's changes. */
  sub: number;
}

export const HISTORY_KEY_BYTES = 1 + 8 + 2;
/** Just past the whole history. */
export const HISTORY_END = Buffer.of(HISTORY + 1);

export function historyKey({ revision, sub }: HistoryPosition): Buffer {
  assert.ok(Number.isInteger(sub) && sub >= 0 && sub <= U16_MAX, `history sub must fit in 16 bits, got ${sub}`);
  const buf = Buffer.allocUnsafe(HISTORY_KEY_BYTES);
  buf[0] = HISTORY;
  writeU64(buf, revision, 1);
  buf.writeUInt16BE(sub, 9);
  return buf;
}

export function parseHistoryKey(key: Buffer): HistoryPosition {
  assert.ok(key.length === HISTORY_KEY_BYTES && key[0] === HISTORY, 'not a history key');
  return { revision: readU64(key, 1), sub: key.readUInt16BE(9) };
}

/** The revision-index key of `key` at `revision`. */
export function revisionIndexKey(key: string, revision: number): Buffer {
  const { buf, end } = withKey(REVISIONS, key, 0, 9);
  buf[end] = 0;
  writeU64(buf, revision, end + 1);
  return buf;
}

export function parseRevisionIndexKey(indexKey: Buffer): { key: string; revision: number } {
  assert.ok(indexKey[0] === REVISIONS && indexKey.length >= 10 && indexKey[indexKey.length - 9] === 0, 'not a revision index key');
  return { key: indexKey.toString('utf8', 1, indexKey.length - 9), revision: readU64(indexKey, indexKey.length - 8) };
}

/** Where the revision index of `key` (or, past it, of the keys after it) starts. */
export function revisionIndexStart(key: string): Buffer {
  const { buf, end } = withKey(REVISIONS, key, 0, 1);
  buf[end] = 0;
  return buf;
}

/** Just past every revision-index entry of `key`: the NUL that ends the key becomes 01. */
export function revisionIndexEnd(key: string): Buffer {
  const { buf, end } = withKey(REVISIONS, key, 0, 1);
  buf[end] = 1;
  return buf;
}

/** Just past the whole revision index. */
export const REVISION_INDEX_END = Buffer.of(REVISIONS + 1);

export function clientKey(clientId: number): Buffer {
  assert.ok(Number.isInteger(clientId) && clientId >= 0 && clientId <= U32_MAX, `client id must be a u32, got ${clientId}`);
  const buf = Buffer.allocUnsafe(5);
  buf[0] = CLIENT;
  buf.writeUInt32BE(clientId, 1);
  return buf;
}

export function parseClientKey(key: Buffer): number {
  assert.ok(key.length === 5 && key[0] === CLIENT, 'not a client key');
  return key.readUInt32BE(1);
}

export const CLIENTS_START = Buffer.of(CLIENT);
export const CLIENTS_END = Buffer.of(CLIENT + 1);

export function leaseKey(lease: number): Buffer {
  const buf = Buffer.allocUnsafe(9);
  buf[0] = LEASE;
  writeU64(buf, lease, 1);
  return buf;
}

export function parseLeaseKey(key: Buffer): number {
  assert.ok(key.length === 9 && key[0] === LEASE, 'not a lease key');
  return readU64(key, 1);
}

export const LEASES_START = Buffer.of(LEASE);
export const LEASES_END = Buffer.of(LEASE + 1);

/** The entry that attaches `key` to `lease`. */
export function leaseIndexKey(lease: number, key: string): Buffer {
  const { buf } = withKey(LEASE_KEY, key, 8, 0);
  writeU64(buf, lease, 1);
  return buf;
}

export function keyOfLeaseIndexKey(indexKey: Buffer): string {
  assert.ok(indexKey.length >= 9 && indexKey[0] === LEASE_KEY, 'not a lease index key');
  return indexKey.toString('utf8', 9);
}

/** Where the index entries of `lease` start (the lease id itself) and end: past every key's UTF-8
 *  bytes, which never hold 0xff (so the bound needs no next id, which the largest id has not). */
export function leaseIndexBounds(lease: number): { gte: Buffer; lt: Buffer } {
  const gte = Buffer.allocUnsafe(9);
  gte[0] = LEASE_KEY;
  writeU64(gte, lease, 1);
  return { gte, lt: Buffer.concat([gte, Buffer.of(0xff)]) };
}

/** A remembered write of the Idempotency-Key table, by its counter: the prefix's order is arrival order. */
export function idempotencyKey(counter: number): Buffer {
  const buf = Buffer.allocUnsafe(9);
  buf[0] = IDEMPOTENCY;
  writeU64(buf, counter, 1);
  return buf;
}

export function parseIdempotencyKey(key: Buffer): number {
  assert.ok(key.length === 9 && key[0] === IDEMPOTENCY, 'not an idempotency key');
  return readU64(key, 1);
}

export const IDEMPOTENCY_START = Buffer.of(IDEMPOTENCY);
export const IDEMPOTENCY_END = Buffer.of(IDEMPOTENCY + 1);

/** An auth token's record, by its id (printable ASCII, token-table.ts). */
export function tokenKey(id: string): Buffer {
  return withKey(TOKEN, id, 0, 0).buf;
}

export function idOfTokenKey(key: Buffer): string {
  assert.equal(key[0], TOKEN, 'not a token key');
  return key.toString('utf8', 1);
}

export const TOKENS_START = Buffer.of(TOKEN);
export const TOKENS_END = Buffer.of(TOKEN + 1);

/** A split put's assembly, named by its submitter and the request id of its piece 0 (pieces.ts). */
export interface AssemblyName {
  clientId: number;
  first: number;
}

export function assemblyKey({ clientId, first }: AssemblyName): Buffer {
  const buf = Buffer.allocUnsafe(1 + 4 + 8);
  buf[0] = ASSEMBLY;
  buf.writeUInt32BE(clientId, 1);
  writeU64(buf, first, 5);
  return buf;
}

export function parseAssemblyKey(key: Buffer): AssemblyName {
  assert.ok(key.length === 13 && key[0] === ASSEMBLY, 'not an assembly key');
  return { clientId: key.readUInt32BE(1), first: readU64(key, 5) };
}

export const ASSEMBLIES_START = Buffer.of(ASSEMBLY);
export const ASSEMBLIES_END = Buffer.of(ASSEMBLY + 1);

export function pieceKey(name: AssemblyName, index: number): Buffer {
  assert.ok(Number.isInteger(index) && index >= 0 && index <= U16_MAX, `piece index ${index} out of range`);
  const buf = Buffer.allocUnsafe(1 + 4 + 8 + 2);
  buf[0] = PIECE;
  buf.writeUInt32BE(name.clientId, 1);
  writeU64(buf, name.first, 5);
  buf.writeUInt16BE(index, 13);
  return buf;
}
