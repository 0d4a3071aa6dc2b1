// A transaction in etcd's spirit: every compare is checked against the state before the txn; if all hold
// the success ops run, else the failure ops, in order, each seeing the ones before it. All writes share
// one revision (the store revision + 1), and the revision rises only if something changed.
import type { Compare, KeyRecord, RangeQuery, Txn, TxnOp, TxnOpResult } from './ops.js';
import { putRecord, type KvOpOutcome, type StateView, type WatchEvent } from './state-view.js';
import { mergeRange } from './key-range.js';

/**
 * The query a txn range op asks of the state under it, given the writes (puts and deletes) before it in
 * its branch: each can hide or add one entry, and one more entry tells whether the range goes on.
 */
export function txnRangeQuery(query: RangeQuery, writesBefore: number): RangeQuery {
  return { ...query, limit: query.limit + writesBefore + 1 };
}

/** Every range query a txn may ask of the state under it (either branch may run). */
export function txnRangeQueries(txn: Txn): RangeQuery[] {
  const queries: RangeQuery[] = [];
  for (const branch of [txn.success, txn.failure]) {
    let writes = 0;
    for (const op of branch) {
      if (op.type === 'range') queries.push(txnRangeQuery(op.query, writes));
      else if (op.type !== 'get') writes += 1;
    }
  }
  return queries;
}

export function txnKeys(txn: Txn): string[] {
  const keys = txn.compare.map((compare) => compare.key);
  for (const op of [...txn.success, ...txn.failure]) if (op.type !== 'range') keys.push(op.key);
  return keys;
}

/** The bytes of every put value in both branches: what a txn's size limit counts. */
export function txnValueBytes(txn: Txn): number {
  let bytes = 0;
  for (const op of [...txn.success, ...txn.failure]) if (op.type === 'put') bytes += op.value.byteLength;
  return bytes;
}

function ordering(a: number, b: number): number {
  return Math.sign(a - b);
}

/** -1, 0 or 1 comparing the key's target to the compare's value; null when the key lacks a value to compare. */
function compareTarget(compare: Compare, record: KeyRecord | null): number | null {
  switch (compare.target) {
    case 'value':
      return record === null ? null : Buffer.compare(Buffer.from(record.value), Buffer.from(compare.value as Uint8Array));
    case 'exists':
      return ordering(record === null ? 0 : 1, compare.value ? 1 : 0);
    default:
      // An absent key has revision and version 0, as in etcd, so `createRevision == 0` means "absent".
      return ordering(record === null ? 0 : record[compare.target], compare.value as number);
  }
}

function holds(compare: Compare, record: KeyRecord | null): boolean {
  const order = compareTarget(compare, record);
  if (order === null) return false;
  switch (compare.op) {
    case '==':
      return order === 0;
    case '!=':
      return order !== 0;
    case '<':
      return order < 0;
    case '>':
      return order > 0;
  }
}

export function applyTxn(txn: Txn, revision: number, state: StateView): Omit<KvOpOutcome, 'leases'> {
  const succeeded = txn.compare.every((compare) => holds(compare, state.get(compare.key)));
  const branch: readonly TxnOp[] = succeeded ? txn.success : txn.failure;
  const next = revision + 1;
  // The txn's own writes, seen by its later ops before the state machine takes them in.
  const overlay = new Map<string, KeyRecord | null>();
  const current = (key: string): KeyRecord | null => (overlay.has(key) ? overlay.get(key)! : state.get(key));
  const changes: WatchEvent[] = [];
  const results: TxnOpResult[] = [];
  let writes = 0;
  for (const op of branch) {
    switch (op.type) {
      case 'put': {
        const record = putRecord(current(op.key), next, op.value, op.contentType);
        overlay.set(op.key, record);
        changes.push({ type: 'put', key: op.key, record });
        results.push({ type: 'put', modRevision: next });
        writes += 1;
        break;
      }
      case 'delete': {
        const existed = current(op.key) !== null;
        if (existed) {
          overlay.set(op.key, null);
          changes.push({ type: 'delete', key: op.key, record: null });
        }
        results.push({ type: 'delete', deleted: existed ? 1 : 0 });
        writes += 1;
        break;
      }
      case 'get':
        results.push({ type: 'get', record: current(op.key) });
        break;
      case 'range': {
        const under = state.range(txnRangeQuery(op.query, writes));
        results.push({ type: 'range', ...mergeRange(op.query, under.entries, overlay) });
        break;
      }
    }
  }
  const after = changes.length > 0 ? next : revision;
  return { result: { type: 'txn', revision: after, succeeded, results }, revision: after, changes };
}
