// The replicated state machine as a pure function: committed entries in, results and the new state out.
// No I/O: the caller prefetches every key and range the batch reads and writes the outcome in one atomic
// batch (state-store.ts). Same entries and same starting state give the same outcome on every replica.
// An entry carries a batch of operations (ops.ts, OpRequest), applied in order at its slot.
import assert from 'node:assert/strict';
import {
  decodeOpRequest,
  isSplittable,
  type KeyEntry,
  type KeyRecord,
  type KvOp,
  type LeaseRecord,
  type OpRequest,
  type OpResult,
  type RangeQuery,
  REQUEST_OPS_MAX,
  travelsAlone,
} from './ops.js';
import type { LogEntry } from '../consensus/log-entry.js';
import { type AppliedEntry, NOOP_REASON, type StoreMeta } from './applied.js';
import { BELOW_FLOOR_REASON, admit, cloneClient, type ClientState, newClient, raiseFloor, remember } from './client-table.js';
import { applyKvOp, DELETE_RANGE_KEYS_MAX } from './kv-op.js';
import { mergeRange, rangeId } from './key-range.js';
import type { WatchEvent } from './state-view.js';
import { txnKeys, txnRangeQueries } from './txn.js';
import { IdempotencyChanges, type IdempotencyTable } from './idempotency.js';
import { TokenChanges, type TokenState } from './token-table.js';
import { applyTokenOp, isTokenOp } from './token-op.js';
import { type AssemblyTable, PieceChanges, type StoredPieces } from './pieces.js';
import { applyPieceOp, assembledOp } from './piece-op.js';
import type { AssemblyName } from './keys.js';

export type Command = { kind: 'noop' } | { kind: 'invalid'; reason: string } | { kind: 'request'; request: OpRequest };

export interface DecodedEntry {
  entry: LogEntry;
  command: Command;
}

export interface ApplyInput {
  meta: StoreMeta;
  /** Revisions of history kept: the compact revision follows the store revision this far behind. */
  historyRetainRevisions: number;
  /** The stored record (null: absent) of every key in readsOf(batch).keys. */
  records: ReadonlyMap<string, KeyRecord | null>;
  /** By rangeId: the first query.limit + 1 stored entries (or all there are) of every query in readsOf(batch).ranges. */
  ranges: ReadonlyMap<string, readonly KeyEntry[]>;
  /** The stored record (null: absent) of every lease in readsOf(batch).leases, and of every lease a
   *  record in `records` is attached to (a write may detach the key from it). */
  leases: ReadonlyMap<number, LeaseRecord | null>;
  /** The first DELETE_RANGE_KEYS_MAX + 1 keys attached to every lease in readsOf(batch).leaseKeys; their
   *  records must be in `records` too. */
  leaseKeys: ReadonlyMap<number, readonly string[]>;
  clients: ReadonlyMap<number, ClientState>;
  idempotency: IdempotencyTable;
  tokens: TokenState;
  assemblies: AssemblyTable;
  /** By pieceId: the stored bytes (null: not stored yet) of every piece in readsOf(batch).pieces. */
  pieces: StoredPieces;
}

/** The changes applied at one revision: the watch history's unit. */
export interface RevisionEvents {
  revision: number;
  events: WatchEvent[];
}

export interface ApplyOutput {
  meta: StoreMeta;
  applied: AppliedEntry[];
  /** Final record of every key the batch changed (null: deleted). */
  writes: Map<string, KeyRecord | null>;
  /** New state of every client the batch touched; the input states are left as they were. */
  clients: Map<number, ClientState>;
  /** In revision order, one item per revision the batch created. */
  events: RevisionEvents[];
  /** Final record of every lease the batch granted, ended (null) or attached keys to or detached keys from. */
  leases: Map<number, LeaseRecord | null>;
  /** Keys attached to (true) or detached from (false) leases. */
  leaseIndex: Array<{ lease: number; key: string; attached: boolean }>;
  idempotency: IdempotencyChanges;
  tokens: TokenChanges;
  pieces: PieceChanges;
}

export function decodeEntries(entries: readonly LogEntry[]): DecodedEntry[] {
  return entries.map((entry): DecodedEntry => {
    if (entry.noop) return { entry, command: { kind: 'noop' } };
    const request = decodeOpRequest(entry.body);
    return { entry, command: 'invalid' in request ? { kind: 'invalid', reason: request.invalid } : { kind: 'request', request } };
  });
}

function rangesOf(op: KvOp): RangeQuery[] {
  if (op.type === 'delete_range') return [{ prefix: op.prefix, limit: DELETE_RANGE_KEYS_MAX }];
  return op.type === 'txn' ? txnRangeQueries(op.txn) : [];
}

function keysOf(op: KvOp): string[] {
  if (op.type === 'put' || op.type === 'delete') return [op.key];
  return op.type === 'txn' ? txnKeys(op.txn) : [];
}

function leasesOf(op: KvOp): number[] {
  if (op.type === 'put') return op.lease === undefined ? [] : [op.lease];
  return op.type === 'lease_keepalive' || op.type === 'lease_revoke' ? [op.lease] : [];
}

export interface Reads {
  keys: string[];
  ranges: RangeQuery[];
  leases: number[];
  /** Leases whose attached keys are read (revokes). */
  leaseKeys: number[];
  /** Pieces split puts and txns take (pieces.ts). */
  pieces: Array<{ name: AssemblyName; index: number }>;
}

/** What applying `decoded` reads from storage: point keys, range queries answered by rangeId, leases. */
export function readsOf(decoded: readonly DecodedEntry[]): Reads {
  const keys = new Set<string>();
  const ranges = new Map<string, RangeQuery>();
  const leases = new Set<number>();
  const leaseKeys = new Set<number>();
  const pieces: Reads['pieces'] = [];
  for (const { entry, command } of decoded) {
    if (command.kind !== 'request') continue;
    for (const { op } of command.request.ops) {
      for (const key of keysOf(op)) keys.add(key);
      for (const query of rangesOf(op)) ranges.set(rangeId(query), query);
      for (const lease of leasesOf(op)) leases.add(lease);
      if (op.type === 'lease_revoke') leaseKeys.add(op.lease);
      if (isSplittable(op) && op.held !== undefined) {
        const name = { clientId: entry.clientId, first: op.held.first };
        for (let index = 0; index < op.held.pieces; index++) pieces.push({ name, index });
      }
    }
  }
  return { keys: [...keys], ranges: [...ranges.values()], leases: [...leases], leaseKeys: [...leaseKeys], pieces };
}

/**
 * Splits a batch so that every entry reading a range comes first in its part. A range prefetched before
 * the part then needs no correction for writes of earlier entries, whose number would be unbounded
 * (a delete-range alone writes up to DELETE_RANGE_KEYS_MAX keys). Results do not depend on the split.
 */
export function splitAtRangeReads(decoded: readonly DecodedEntry[]): DecodedEntry[][] {
  const parts: DecodedEntry[][] = [];
  for (const item of decoded) {
    // Such an op travels alone (ops.ts), so its entry starts the part.
    const readsRange = item.command.kind === 'request' && item.command.request.ops.some(({ op }) => travelsAlone(op));
    if (parts.length === 0 || readsRange) parts.push([]);
    parts[parts.length - 1]!.push(item);
  }
  return parts;
}

/**
 * Entries must continue exactly where meta stopped: the next slot, in the same or a newer session. How
 * (session, seq) advance is the consensus layer's rule; the store only refuses a session going back.
 */
function assertNext(meta: StoreMeta, entry: LogEntry): void {
  assert.equal(entry.slot, meta.appliedSlot + 1, `entry at slot ${entry.slot} does not follow applied slot ${meta.appliedSlot}`);
  assert.ok(entry.session >= meta.session, `entry of session ${entry.session} is older than applied session ${meta.session}`);
}

export function applyEntries(input: ApplyInput, decoded: readonly DecodedEntry[]): ApplyOutput {
  const meta = { ...input.meta };
  const applied: AppliedEntry[] = [];
  // Later entries of the batch must see earlier ones, so changes go to an overlay over the prefetched state.
  const writes = new Map<string, KeyRecord | null>();
  const clients = new Map<number, ClientState>();
  const events: RevisionEvents[] = [];
  const leases = new Map<number, LeaseRecord | null>();
  const leaseIndex = new Map<string, { lease: number; key: string; attached: boolean }>();
  const idempotency = new IdempotencyChanges(input.idempotency);
  const tokens = new TokenChanges(input.tokens);
  const pieces = new PieceChanges(input.assemblies, input.pieces);

  const state = {
    get(key: string): KeyRecord | null {
      const written = writes.get(key);
      if (written !== undefined) return written;
      const stored = input.records.get(key);
      assert.ok(stored !== undefined, `key '${key}' was not prefetched`);
      return stored;
    },
    range(query: RangeQuery) {
      const stored = input.ranges.get(rangeId(query));
      assert.ok(stored !== undefined, `range ${rangeId(query)} was not prefetched`);
      // splitAtRangeReads puts range readers first in their part, so no write of the part precedes them.
      assert.equal(writes.size, 0, 'a range read follows writes of its batch');
      return mergeRange(query, stored, writes);
    },
    lease(id: number): LeaseRecord | null {
      const written = leases.get(id);
      if (written !== undefined) return written;
      const stored = input.leases.get(id);
      assert.ok(stored !== undefined, `lease ${id} was not prefetched`);
      return stored;
    },
    leaseKeys(id: number) {
      const stored = input.leaseKeys.get(id);
      assert.ok(stored !== undefined, `keys of lease ${id} were not prefetched`);
      // Revokes come first in their part (splitAtRangeReads), so the index has no pending changes.
      assert.equal(leaseIndex.size, 0, 'a lease revoke follows lease index changes of its batch');
      return { keys: stored.slice(0, DELETE_RANGE_KEYS_MAX), more: stored.length > DELETE_RANGE_KEYS_MAX };
    },
    compactRevision: () => Math.max(meta.compactRevision, meta.revision - input.historyRetainRevisions + 1),
  };
  const countKeys = (id: number, delta: number): void => {
    const lease = state.lease(id);
    assert.ok(lease !== null, `a key is attached to lease ${id}, which does not exist`);
    assert.ok(lease.keys + delta >= 0, `lease ${id} would have ${lease.keys + delta} keys`);
    leases.set(id, { ...lease, keys: lease.keys + delta });
  };
  /** Keeps the lease index and the leases' key counts in step with each key's `lease` as changes land. */
  const land = (change: WatchEvent): void => {
    const before = state.get(change.key)?.lease;
    const after = change.record?.lease;
    if (before !== after) {
      if (before !== undefined) {
        leaseIndex.set(`${before}/${change.key}`, { lease: before, key: change.key, attached: false });
        countKeys(before, -1);
      }
      if (after !== undefined) {
        leaseIndex.set(`${after}/${change.key}`, { lease: after, key: change.key, attached: true });
        countKeys(after, 1);
      }
    }
    writes.set(change.key, change.record);
  };
  const touch = (clientId: number): ClientState => {
    let client = clients.get(clientId);
    if (client === undefined) {
      const stored = input.clients.get(clientId);
      client = stored === undefined ? newClient() : cloneClient(stored);
      clients.set(clientId, client);
    }
    return client;
  };

  for (const { entry, command } of decoded) {
    assertNext(meta, entry);
    meta.appliedSlot = entry.slot;
    meta.session = entry.session;
    meta.appliedSeq = entry.seq;
    const answer = (requestId: number, result: OpResult): void => {
      applied.push({ slot: entry.slot, session: entry.session, seq: entry.seq, clientId: entry.clientId, requestId, result });
    };
    if (command.kind !== 'request') {
      answer(entry.requestId, { type: 'invalid', revision: meta.revision, reason: command.kind === 'noop' ? NOOP_REASON : command.reason });
      continue;
    }
    const client = touch(entry.clientId);
    raiseFloor(client, command.request.floor);
    pieces.dropBelowFloor(entry.clientId, client.floor);
    command.request.ops.forEach(({ requestId, op: sent, idempotency: keyed }, index) => {
      const admission = admit(client, requestId);
      if (admission.kind === 'below-floor')
        return answer(requestId, { type: 'invalid', revision: meta.revision, reason: BELOW_FLOOR_REASON });
      if (admission.kind === 'cached') return answer(requestId, admission.result);
      if (sent.type === 'piece') {
        const result = applyPieceOp(sent, entry.clientId, entry.slot, meta.revision, pieces);
        if (result.type !== 'invalid') remember(client, requestId, result);
        return answer(requestId, result);
      }
      // A split put or txn takes its pieces first, so that a replay below ends the assembly too (pieces.ts).
      const op = assembledOp(sent, entry.clientId, pieces);
      if (typeof op === 'string') return answer(requestId, { type: 'invalid', revision: meta.revision, reason: op });
      // A retry under an Idempotency-Key, through whichever replica, gets the first result again.
      const seen = keyed === undefined ? null : idempotency.admit(keyed);
      if (seen !== null && seen.kind !== 'new') {
        const result: OpResult = seen.kind === 'replay' ? seen.result : { type: 'idempotency_conflict', revision: meta.revision };
        remember(client, requestId, result);
        return answer(requestId, result);
      }
      // A lease is named by where its grant sits in the log: unique, and the same on every replica.
      const outcome = isTokenOp(op)
        ? { result: applyTokenOp(op, meta.revision, tokens), revision: meta.revision, changes: [], leases: [] }
        : applyKvOp(op, meta.revision, state, entry.slot * REQUEST_OPS_MAX + index);
      for (const change of outcome.changes) land(change);
      for (const [id, lease] of outcome.leases) leases.set(id, lease);
      if (outcome.changes.length > 0) events.push({ revision: outcome.revision, events: outcome.changes });
      meta.revision = outcome.revision;
      const compacted = outcome.result.type === 'compact' ? outcome.result.compactRevision : 0;
      meta.compactRevision = Math.max(meta.compactRevision, compacted, meta.revision - input.historyRetainRevisions + 1);
      // Re-running a barrier is harmless; every other result (a failed precondition too) must be
      // answered again, not recomputed, when the request is retried.
      if (op.type !== 'barrier') remember(client, requestId, outcome.result);
      if (keyed !== undefined && op.type !== 'barrier') idempotency.remember(keyed, outcome.result);
      answer(requestId, outcome.result);
    });
  }
  return { meta, applied, writes, clients, events, leases, leaseIndex: [...leaseIndex.values()], idempotency, tokens, pieces };
}
