// The on-disk layout of a replica's database (docs/design.md §4): one abstract-level database — LevelDB
// (classic-level) in production, a simulated disk in test/sim — with one sublevel per kind of record,
// string keys and binary values. A batch may span sublevels, which is what makes an apply batch atomic.
import assert from 'node:assert/strict';
import type { AbstractBatchOptions, AbstractLevel, AbstractSublevel } from 'abstract-level';
import { Level } from 'level';
import { INITIAL_META, type StoreMeta } from './applied.js';
import type { ViewState } from '../consensus/view-state.js';
import { decodeCachedResult, decodeFloor, decodeMeta, decodeViewState } from './codec.js';
import { META_KEY, parseClientKey, VIEW_STATE_KEY } from './keys.js';
import { type ClientState, newClient } from './client-table.js';

const ENCODINGS = { keyEncoding: 'utf8', valueEncoding: 'view' } as const;

export type Database = AbstractLevel<string | Buffer | Uint8Array, string, Uint8Array>;
export type Sublevel = AbstractSublevel<Database, string | Buffer | Uint8Array, string, Uint8Array>;

export interface Sublevels {
  db: Database;
  /** key → KeyRecord */
  kv: Sublevel;
  /** META_KEY → StoreMeta, VIEW_STATE_KEY → ViewState */
  meta: Sublevel;
  /** clientFloorKey → floor, clientResultKey → cached OpResult */
  clients: Sublevel;
  /** revisionKey(revision) → the watch events of that revision (watch-history.ts) */
  events: Sublevel;
  /** leaseKey(lease) → LeaseRecord (lease-store.ts) */
  leases: Sublevel;
  /** leaseIndexKey(lease, key) → nothing: the keys attached to each lease */
  leaseKeys: Sublevel;
}

export type BatchOperation =
  { type: 'put'; sublevel: Sublevel; key: string; value: Uint8Array } | { type: 'del'; sublevel: Sublevel; key: string };

/** LevelDB's `sync` write option (wait until the write is on disk), which abstract-level's types do not name;
 *  the simulator's disk (test/sim) honours it the same way. */
export type WriteOptions = AbstractBatchOptions<string, Uint8Array> & { sync: boolean };

export function writeOptions(sync: boolean): WriteOptions {
  return { sync };
}

/** A LevelDB database in `dir` with the store's encodings, not yet open. */
export function levelDatabase(dir: string): Database {
  return new Level<string, Uint8Array>(dir, ENCODINGS) as unknown as Database;
}

export async function openSublevels(db: Database): Promise<Sublevels> {
  await db.open();
  const sublevel = (name: string): Sublevel => db.sublevel<string, Uint8Array>(name, ENCODINGS);
  return {
    db,
    kv: sublevel('kv'),
    meta: sublevel('meta'),
    clients: sublevel('clients'),
    events: sublevel('events'),
    leases: sublevel('leases'),
    leaseKeys: sublevel('lease-keys'),
  };
}

export async function readMeta(meta: Sublevel): Promise<StoreMeta> {
  const bytes = await meta.get(META_KEY);
  return bytes === undefined ? { ...INITIAL_META } : decodeMeta(bytes);
}

/** null: no view state was ever saved (a fresh store). */
export async function readViewState(meta: Sublevel): Promise<ViewState | null> {
  const bytes = await meta.get(VIEW_STATE_KEY);
  return bytes === undefined ? null : decodeViewState(bytes);
}

/** Loads the whole client table; its size is bounded by client-table.ts's limits. */
export async function readClients(clients: Sublevel): Promise<Map<number, ClientState>> {
  const table = new Map<number, ClientState>();
  // A floor key sorts before the result keys of its client, and every client has a floor key.
  for await (const [key, bytes] of clients.iterator()) {
    const parsed = parseClientKey(key);
    if (parsed.kind === 'floor') {
      assert.ok(!table.has(parsed.clientId), `client ${parsed.clientId} has two floor keys`);
      table.set(parsed.clientId, { ...newClient(), floor: decodeFloor(bytes) });
      continue;
    }
    const client = table.get(parsed.clientId);
    assert.ok(client !== undefined, `cached result of client ${parsed.clientId} without a floor`);
    assert.ok(parsed.requestId > client.floor, `cached result ${parsed.requestId} at or below its client's floor`);
    client.results.set(parsed.requestId, decodeCachedResult(bytes));
  }
  return table;
}
