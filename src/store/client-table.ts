// The replicated client table: per submitter, a floor and the cached results of its write requests, so a
// retried write is answered from the cache instead of being applied twice. It is part of the replicated
// state (every replica changes it identically, in the apply batch), which is why a new leader can still
// answer a retry of a write the old leader committed.
import assert from 'node:assert/strict';
import type { OpResult } from './ops.js';

/**
 * Cached results kept per client. The submitter caps its in-flight requests far below this and raises its
 * floor as requests complete, so the cache only reaches the cap if a submitter stops raising its floor.
 * Past the cap the lowest request id is forgotten AND the floor rises to it: a late retry of that request
 * is then refused as below the floor instead of being applied a second time. A never-applied request that
 * old is refused too; that is safe (it applies nowhere) and only happens to a misbehaving submitter.
 */
export const CLIENT_RESULTS_MAX = 65_536;

export const BELOW_FLOOR_REASON = 'request id below client floor (already completed or abandoned)';

/**
 * `floor`: every request id at or below it has completed or been abandoned. A new client's floor is 0,
 * so request ids start at 1, and a request's own floor must stay below its id. Clients are never
 * forgotten, since a forgotten floor would let an old retry apply again; the table therefore grows by one
 * small entry (a floor and at most its in-flight results) per submitter incarnation. Expiring idle
 * clients is not done yet.
 */
export interface ClientState {
  floor: number;
  results: Map<number, OpResult>;
}

export type Admission = { kind: 'apply' } | { kind: 'below-floor' } | { kind: 'cached'; result: OpResult };

export function newClient(): ClientState {
  return { floor: 0, results: new Map() };
}

/** A working copy for one apply batch; the original stays untouched until the batch is on disk. */
export function cloneClient(client: ClientState): ClientState {
  return { floor: client.floor, results: new Map(client.results) };
}

/** Raises the floor (never lowers it) and forgets the results it now covers. */
export function raiseFloor(client: ClientState, floor: number): void {
  if (floor <= client.floor) return;
  client.floor = floor;
  for (const requestId of client.results.keys()) {
    if (requestId <= floor) client.results.delete(requestId);
  }
}

export function admit(client: ClientState, requestId: number): Admission {
  if (requestId <= client.floor) return { kind: 'below-floor' };
  const result = client.results.get(requestId);
  return result === undefined ? { kind: 'apply' } : { kind: 'cached', result };
}

export function remember(client: ClientState, requestId: number, result: OpResult): void {
  assert.ok(requestId > client.floor, 'a result below the floor must not be cached');
  assert.ok(!client.results.has(requestId), 'a cached request must not be applied again');
  client.results.set(requestId, result);
  if (client.results.size > CLIENT_RESULTS_MAX) raiseFloor(client, lowestRequestId(client.results));
  assert.ok(client.results.size <= CLIENT_RESULTS_MAX, 'client result cache over its cap');
}

// Insertion order is arrival order, which need not be id order; the minimum is what every replica agrees on.
function lowestRequestId(results: ReadonlyMap<number, OpResult>): number {
  let lowest = Number.POSITIVE_INFINITY;
  for (const requestId of results.keys()) lowest = Math.min(lowest, requestId);
  return lowest;
}
