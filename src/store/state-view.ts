// What a KV operation sees and leaves: a view of the state (with earlier writes of its batch already in
// it) and the changes it makes, each of which becomes a watch event at the op's revision.
import type { KeyRecord, LeaseRecord, OpResult, RangeQuery } from './ops.js';
import type { RangeAnswer } from './key-range.js';
import { plainBytes } from './codec.js';

export interface StateView {
  get(key: string): KeyRecord | null;
  /** The exact first query.limit entries of the range and whether more follow. */
  range(query: RangeQuery): RangeAnswer;
  lease(id: number): LeaseRecord | null;
  /** The first DELETE_RANGE_KEYS_MAX keys attached to the lease, in key order, and whether more are. */
  leaseKeys(id: number): { keys: string[]; more: boolean };
  /** The oldest revision reads may still ask for. */
  compactRevision(): number;
}

export interface WatchEvent {
  type: 'put' | 'delete';
  key: string;
  /** The new record of a put; null for a delete. */
  record: KeyRecord | null;
  /** The key's record before the change (null: absent), when the reader asked for it. */
  prev?: KeyRecord | null;
}

/** The record a put at `revision` leaves, given the key's current record. */
export function putRecord(
  current: KeyRecord | null,
  revision: number,
  value: Uint8Array,
  contentType: string | undefined,
  lease?: number,
): KeyRecord {
  const record: KeyRecord = {
    value: plainBytes(value),
    createRevision: current === null ? revision : current.createRevision,
    modRevision: revision,
    version: current === null ? 1 : current.version + 1,
  };
  if (contentType !== undefined) record.contentType = contentType;
  if (lease !== undefined) record.lease = lease;
  return record;
}

export interface KvOpOutcome {
  result: OpResult;
  revision: number;
  /** What the op changed, in order (a txn may change a key twice); empty when nothing changed. */
  changes: WatchEvent[];
  /** Leases granted (a record) or ended (null). Keys join and leave leases through `changes`. A compact
   *  op's new compact revision is in its result. */
  leases: Array<[number, LeaseRecord | null]>;
}
