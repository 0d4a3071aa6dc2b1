// Value encodings of the sublevels (msgpack via src/mrtom/body.ts). Everything here was written by this
// store, so a value of the wrong shape is corruption or a bug: decoding asserts rather than returning errors.
import assert from 'node:assert/strict';
import { isRecord, isSeq, packBody, seqFields, unpackBody } from '../mrtom/body.js';
import type { KeyRecord, OpResult, TxnOpResult } from './ops.js';
import type { StoreMeta } from './applied.js';
import type { ViewState } from '../consensus/view-state.js';

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

export function encodeMeta(meta: StoreMeta): Uint8Array {
  return packBody({ appliedSlot: meta.appliedSlot, session: meta.session, appliedSeq: meta.appliedSeq, revision: meta.revision });
}

export function decodeMeta(bytes: Uint8Array): StoreMeta {
  return storedSeqs(unpackMap(bytes, 'meta'), ['appliedSlot', 'session', 'appliedSeq', 'revision'], 'meta');
}

export function encodeViewState(state: ViewState): Uint8Array {
  const { view, session, sequencerId, sequencerIncarnation, sessionBase, lastNormalView, lastNormalSession } = state;
  return packBody({ view, session, sequencerId, sequencerIncarnation, sessionBase, lastNormalView, lastNormalSession });
}

export function decodeViewState(bytes: Uint8Array): ViewState {
  const fields = ['view', 'session', 'sequencerId', 'sequencerIncarnation', 'sessionBase', 'lastNormalView', 'lastNormalSession'] as const;
  return storedSeqs(unpackMap(bytes, 'view state'), fields, 'view state');
}

export function encodeKeyRecord(record: KeyRecord): Uint8Array {
  // `contentType: undefined` would round-trip as an explicit nil, so an absent type is left out entirely.
  const { contentType, ...rest } = record;
  return packBody(contentType === undefined ? rest : record);
}

export function decodeKeyRecord(bytes: Uint8Array): KeyRecord {
  return keyRecordOf(unpackMap(bytes, 'key record'));
}

/** A key record from its decoded msgpack map, as stored alone or inside a cached result or watch event. */
export function keyRecordOf(value: Record<string, unknown>): KeyRecord {
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

export function encodeFloor(floor: number): Uint8Array {
  return packBody(floor);
}

export function decodeFloor(bytes: Uint8Array): number {
  const floor = unpackBody(bytes);
  assert.ok(isSeq(floor), 'stored client floor is not a non-negative integer');
  return floor;
}

/** Results of everything but barriers are cached (state-machine.ts); invalid results never are. */
export function encodeCachedResult(result: OpResult): Uint8Array {
  assert.ok(result.type !== 'invalid' && result.type !== 'barrier', `${result.type} results are not cached`);
  return packBody(result);
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

export function decodeCachedResult(bytes: Uint8Array): OpResult {
  const value = unpackMap(bytes, 'cached result');
  const revision = seqField(value, 'revision', 'cached result');
  switch (value.type) {
    case 'put':
      return { type: 'put', revision, modRevision: seqField(value, 'modRevision', 'cached result') };
    case 'delete':
      assert.ok(value.deleted === 0 || value.deleted === 1, 'stored cached delete result.deleted is not 0 or 1');
      return { type: 'delete', revision, deleted: value.deleted };
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
