// Encodings of the records that are not on every write's path (keys.ts: m, v, c), in msgpack via
// src/mrtom/body.ts; the hot ones are record-codec.ts's. Everything here was written by this store, so a
// value of the wrong shape is corruption or a bug: decoding asserts rather than returning errors.
import assert from 'node:assert/strict';
import { isRecord, isSeq, packBody, seqFields, unpackBody } from '../mrtom/body.js';
import type { KeyRecord, OpResult, TxnOpResult } from './ops.js';
import type { StoreMeta } from './applied.js';
import type { ViewState } from '../consensus/view-state.js';
import type { RememberedWrite } from './idempotency.js';
import type { ClientState } from './client-table.js';
import type { AssemblyName, HistoryPosition } from './keys.js';
import type { Assembly } from './pieces.js';

/** A Buffer over the same bytes (no copy), as the database takes them. */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** msgpackr decodes binary as a Buffer view; callers get a plain Uint8Array over the same bytes. */
export function plainBytes(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function unpackMap(bytes: Uint8Array, what: string): Record<string, unknown> {
  const value = unpackBody(bytes);
  assert.ok(isRecord(value), `stored ${what} is not a map`);
  return value;
}

function storedSeqs<K extends string>(value: Record<string, unknown>, fields: readonly K[], what: string): Record<K, number> {
  return seqFields(value, fields, (field) => assert.fail(`stored ${what}.${field} is not a non-negative integer`));
}

function seqField<K extends string>(value: Record<string, unknown>, field: K, what: string): number {
  return storedSeqs(value, [field], what)[field];
}

function bytesField(value: Record<string, unknown>, field: string, what: string): Uint8Array {
  const bytes = value[field];
  assert.ok(bytes instanceof Uint8Array, `stored ${what}.${field} is not binary`);
  return plainBytes(bytes);
}

const META_FIELDS = ['appliedSlot', 'session', 'appliedSeq', 'revision', 'compactRevision'] as const;

/** The meta and, with it, how far compaction has swept the history (history-sweep.ts): one record, one write. */
export function encodeMeta(meta: StoreMeta, sweep: HistoryPosition): Uint8Array {
  const { appliedSlot, session, appliedSeq, revision, compactRevision } = meta;
  return packBody({ appliedSlot, session, appliedSeq, revision, compactRevision, sweepRevision: sweep.revision, sweepSub: sweep.sub });
}

export function decodeStoredMeta(bytes: Uint8Array): { meta: StoreMeta; sweep: HistoryPosition } {
  const value = unpackMap(bytes, 'meta');
  const sweep = storedSeqs(value, ['sweepRevision', 'sweepSub'], 'meta');
  return { meta: storedSeqs(value, META_FIELDS, 'meta'), sweep: { revision: sweep.sweepRevision, sub: sweep.sweepSub } };
}

export function decodeMeta(bytes: Uint8Array): StoreMeta {
  return decodeStoredMeta(bytes).meta;
}

export function encodeViewState(state: ViewState): Uint8Array {
  const { view, session, sequencerId, sequencerIncarnation, sessionBase, lastNormalView, lastNormalSession } = state;
  return packBody({ view, session, sequencerId, sequencerIncarnation, sessionBase, lastNormalView, lastNormalSession });
}

export function decodeViewState(bytes: Uint8Array): ViewState {
  const fields = ['view', 'session', 'sequencerId', 'sequencerIncarnation', 'sessionBase', 'lastNormalView', 'lastNormalSession'] as const;
  return storedSeqs(unpackMap(bytes, 'view state'), fields, 'view state');
}

/** A key record from its decoded msgpack map, as a cached result holds it. */
function keyRecordOf(value: Record<string, unknown>): KeyRecord {
  const record: KeyRecord = {
    value: bytesField(value, 'value', 'key record'),
    ...storedSeqs(value, ['createRevision', 'modRevision', 'version'], 'key record'),
  };
  if (value.contentType !== undefined) {
    assert.equal(typeof value.contentType, 'string', 'stored key record.contentType is not a string');
    record.contentType = value.contentType as string;
  }
  if (value.lease !== undefined) record.lease = seqField(value, 'lease', 'key record');
  return record;
}

/** A client's whole dedup state in one record, rewritten whenever a batch touches the client. Results of
 *  everything but barriers are cached (state-machine.ts); invalid results never are. */
export function encodeClient(client: ClientState): Uint8Array {
  const results: Array<[number, OpResult]> = [];
  for (const [requestId, result] of client.results) {
    assert.ok(result.type !== 'invalid' && result.type !== 'barrier', `${result.type} results are not cached`);
    results.push([requestId, result]);
  }
  return packBody({ floor: client.floor, results });
}

export function decodeClient(bytes: Uint8Array): ClientState {
  const value = unpackMap(bytes, 'client');
  const floor = seqField(value, 'floor', 'client');
  assert.ok(Array.isArray(value.results), 'stored client.results is not a list');
  const results = new Map<number, OpResult>();
  for (const item of value.results as unknown[]) {
    assert.ok(Array.isArray(item) && item.length === 2 && isSeq(item[0]), 'stored client result is not [requestId, result]');
    assert.ok(item[0] > floor, `cached result ${item[0]} at or below its client's floor`);
    assert.ok(isRecord(item[1]), 'stored cached result is not a map');
    results.set(item[0], decodeCachedResult(item[1]));
  }
  return { floor, results };
}

function decodeCachedRecord(value: unknown): KeyRecord | null {
  if (value === null) return null;
  assert.ok(isRecord(value), 'stored cached key record is not a map');
  return keyRecordOf(value);
}

function decodeCachedTxnResult(value: unknown): TxnOpResult {
  assert.ok(isRecord(value), 'stored cached txn op result is not a map');
  switch (value.type) {
    case 'put':
      return { type: 'put', modRevision: seqField(value, 'modRevision', 'cached txn put') };
    case 'get':
      return { type: 'get', record: decodeCachedRecord(value.record) };
    case 'delete':
      assert.ok(value.deleted === 0 || value.deleted === 1, 'stored cached txn delete.deleted is not 0 or 1');
      return { type: 'delete', deleted: value.deleted };
    default: {
      assert.equal(value.type, 'range', `stored cached txn op result has type ${String(value.type)}`);
      assert.ok(Array.isArray(value.entries), 'stored cached txn range.entries is not a list');
      const entries = value.entries.map((entry: unknown) => {
        assert.ok(isRecord(entry) && typeof entry.key === 'string', 'stored cached range entry has no key');
        return { key: entry.key, record: decodeCachedRecord(entry.record)! };
      });
      return { type: 'range', entries, more: value.more === true };
    }
  }
}

/** A result's `prev` record, when its op asked for one. */
function withPrev<T extends OpResult>(result: T, value: Record<string, unknown>): T {
  return 'prev' in value ? { ...result, prev: decodeCachedRecord(value.prev) } : result;
}

function decodeCachedResult(value: Record<string, unknown>): OpResult {
  const revision = seqField(value, 'revision', 'cached result');
  switch (value.type) {
    case 'put':
      return withPrev({ type: 'put', revision, modRevision: seqField(value, 'modRevision', 'cached result') }, value);
    case 'delete':
      assert.ok(value.deleted === 0 || value.deleted === 1, 'stored cached delete result.deleted is not 0 or 1');
      return withPrev({ type: 'delete', revision, deleted: value.deleted }, value);
    case 'delete_range':
      return { type: 'delete_range', revision, deleted: seqField(value, 'deleted', 'cached result'), more: value.more === true };
    case 'lease':
      return {
        type: 'lease',
        revision,
        lease: seqField(value, 'lease', 'cached result'),
        ttlMs: seqField(value, 'ttlMs', 'cached result'),
      };
    case 'lease_revoked':
      return {
        type: 'lease_revoked',
        revision,
        lease: seqField(value, 'lease', 'cached result'),
        deleted: seqField(value, 'deleted', 'cached result'),
        more: value.more === true,
      };
    case 'lease_not_found':
      return { type: 'lease_not_found', revision, lease: seqField(value, 'lease', 'cached result') };
    case 'idempotency_conflict':
      return { type: 'idempotency_conflict', revision };
    case 'piece_held':
      return { type: 'piece_held', revision };
    case 'compact':
      return { type: 'compact', revision, compactRevision: seqField(value, 'compactRevision', 'cached result') };
    case 'future_revision':
      return { type: 'future_revision', revision };
    case 'token_created':
      assert.ok(typeof value.id === 'string' && typeof value.created === 'boolean', 'stored cached token_created is not {id, created}');
      return { type: 'token_created', revision, id: value.id, created: value.created };
    case 'too_many_tokens':
      return { type: 'too_many_tokens', revision };
    case 'token_revoked':
      assert.ok(
        typeof value.id === 'string' && (value.revoked === 0 || value.revoked === 1),
        'stored cached token_revoked is not {id, revoked}',
      );
      return { type: 'token_revoked', revision, id: value.id, revoked: value.revoked };
    case 'precondition_failed':
      return {
        type: 'precondition_failed',
        revision,
        modRevision: value.modRevision === null ? null : seqField(value, 'modRevision', 'cached result'),
      };
    default:
      assert.equal(value.type, 'txn', `stored cached result has type ${String(value.type)}`);
      assert.ok(Array.isArray(value.results), 'stored cached txn result.results is not a list');
      return { type: 'txn', revision, succeeded: value.succeeded === true, results: value.results.map(decodeCachedTxnResult) };
  }
}

/** An assembly of a split put (pieces.ts); its name is the record's key. */
export function encodeAssembly({ held, slot }: Assembly): Uint8Array {
  return packBody({ held, slot });
}

export function decodeAssembly(name: AssemblyName, bytes: Uint8Array): Assembly {
  return { ...name, ...storedSeqs(unpackMap(bytes, 'assembly'), ['held', 'slot'], 'assembly') };
}

/** A row of the Idempotency-Key table: the key, and what it remembers besides its counter (the row's key). */
export function encodeRememberedWrite(key: string, write: RememberedWrite): Uint8Array {
  assert.ok(write.result.type !== 'invalid' && write.result.type !== 'barrier', `${write.result.type} results are not cached`);
  return packBody({ key, fingerprint: write.fingerprint, atMs: write.atMs, result: write.result });
}

export function decodeRememberedWrite(counter: number, bytes: Uint8Array): [string, RememberedWrite] {
  const value = unpackMap(bytes, 'idempotency row');
  assert.ok(typeof value.key === 'string', 'stored idempotency row.key is not a string');
  const fingerprint = plainBytes(bytesField(value, 'fingerprint', 'idempotency row'));
  assert.ok(isRecord(value.result), 'stored idempotency row.result is not a map');
  const result = decodeCachedResult(value.result);
  return [value.key, { counter, fingerprint, atMs: seqField(value, 'atMs', 'idempotency row'), result }];
}
