// One KV operation against the current state, with etcd's revision rules: the store revision rises by one
// per operation that changes something (a put, a delete of an existing key, a delete-range or txn that
// deleted or wrote at least one key), createRevision is the revision of the put that created the key since
// its last delete, modRevision that of the latest put, version counts puts since creation. Every change
// also becomes a record of the history at its revision (history-writes.ts).
import type { KeyRecord, KvOp, OpResult, Precondition } from './ops.js';
import { putRecord, type KvOpOutcome, type StateView, type WatchEvent } from './state-view.js';
import { applyTxn } from './txn.js';
import type { TokenOp } from './token-op.js';

/**
 * A delete-range removes at most this many keys per op, and says `more` when keys remain, so one log
 * entry never turns into an unbounded LevelDB batch and watch event; the client repeats to finish.
 */
export const DELETE_RANGE_KEYS_MAX = 1_000;

function holds(require: Precondition | undefined, current: KeyRecord | null): boolean {
  if (require === undefined) return true;
  if ('absent' in require) return current === null;
  if ('exists' in require) return current !== null;
  return current !== null && current.modRevision === require.modRevision;
}

/** The record a write replaced, on the result of an op that asked for it. */
function withPrev<T extends OpResult>(result: T, op: { prev?: true }, current: KeyRecord | null): T {
  return op.prev === true ? { ...result, prev: current } : result;
}

/** `leaseId`: the id a lease this op grants gets (unique per op in the log, the same on every replica). */
export function applyKvOp(
  op: Exclude<KvOp, TokenOp | { type: 'piece' }>,
  revision: number,
  state: StateView,
  leaseId: number,
): KvOpOutcome {
  const unchanged = (result: OpResult): KvOpOutcome => ({ result, revision, changes: [], leases: [] });
  switch (op.type) {
    case 'put':
    case 'delete': {
      const current = state.get(op.key);
      if (!holds(op.require, current)) {
        return unchanged({ type: 'precondition_failed', revision, modRevision: current?.modRevision ?? null });
      }
      const next = revision + 1;
      if (op.type === 'put') {
        if (op.lease !== undefined && state.lease(op.lease) === null)
          return unchanged({ type: 'lease_not_found', revision, lease: op.lease });
        const record = putRecord(current, next, op.value, op.contentType, op.lease);
        return {
          result: withPrev({ type: 'put', revision: next, modRevision: next }, op, current),
          revision: next,
          changes: [{ type: 'put', key: op.key, record }],
          leases: [],
        };
      }
      if (current === null) return unchanged(withPrev({ type: 'delete', revision, deleted: 0 }, op, null));
      return {
        result: withPrev({ type: 'delete', revision: next, deleted: 1 }, op, current),
        revision: next,
        changes: [{ type: 'delete', key: op.key, record: null }],
        leases: [],
      };
    }
    case 'delete_range': {
      const { entries, more } = state.range({ prefix: op.prefix, limit: DELETE_RANGE_KEYS_MAX });
      if (entries.length === 0) return unchanged({ type: 'delete_range', revision, deleted: 0, more: false });
      const changes = entries.map(({ key }): WatchEvent => ({ type: 'delete', key, record: null }));
      return {
        result: { type: 'delete_range', revision: revision + 1, deleted: entries.length, more },
        revision: revision + 1,
        changes,
        leases: [],
      };
    }
    case 'txn':
      return { ...applyTxn(op.txn, revision, state), leases: [] };
    case 'barrier':
      return unchanged({ type: 'barrier', revision });
    case 'lease_grant':
      return {
        result: { type: 'lease', revision, lease: leaseId, ttlMs: op.ttlMs },
        revision,
        changes: [],
        leases: [[leaseId, { ttlMs: op.ttlMs, keys: 0 }]],
      };
    case 'lease_keepalive': {
      const lease = state.lease(op.lease);
      return unchanged(
        lease === null
          ? { type: 'lease_not_found', revision, lease: op.lease }
          : { type: 'lease', revision, lease: op.lease, ttlMs: lease.ttlMs },
      );
    }
    case 'lease_revoke': {
      if (state.lease(op.lease) === null) return unchanged({ type: 'lease_not_found', revision, lease: op.lease });
      const { keys, more } = state.leaseKeys(op.lease);
      const next = keys.length > 0 ? revision + 1 : revision;
      const changes = keys.map((key): WatchEvent => ({ type: 'delete', key, record: null }));
      // The lease outlives a partial revoke, so the next revoke (the leader repeats it) finds the rest.
      return {
        result: { type: 'lease_revoked', revision: next, lease: op.lease, deleted: keys.length, more },
        revision: next,
        changes,
        leases: more ? [] : [[op.lease, null]],
      };
    }
    case 'compact': {
      if (op.revision > revision) return unchanged({ type: 'future_revision', revision });
      // Raise-only; the state machine keeps the higher of this and what the retention asks for.
      return unchanged({ type: 'compact', revision, compactRevision: Math.max(op.revision, state.compactRevision()) });
    }
  }
}
