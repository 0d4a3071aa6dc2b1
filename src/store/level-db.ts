// The on-disk layout of a replica's LevelDB (docs/design.md §4): one database, four sublevels, string keys and
// binary values. A batch may span sublevels, which is what makes an apply batch atomic.
import assert from 'node:assert/strict';
import { Level } from 'level';
import { INITIAL_META, type StoreMeta } from './log-entry.js';
import type { ViewState } from './view-state.js';
import { decodeCachedResult, decodeFloor, decodeMeta, decodeViewState } from './codec.js';
import { META_KEY, parseClientKey, VIEW_STATE_KEY } from './keys.js';
import { type ClientState, newClient } from './client-table.js';

const ENCODINGS = { keyEncoding: 'utf8', valueEncoding: 'view' } as const;

export type Database = Level<string, Uint8Array>;

function sublevel(db: Database, name: string) {
  return db.sublevel<string, Uint8Array>(name, ENCODINGS);
}

export type Sublevel = ReturnType<typeof sublevel>;

export interface Sublevels {
  db: Database;
  /** key → KeyRecord */
  kv: Sublevel;
  /** META_KEY → StoreMeta, VIEW_STATE_KEY → ViewState */
  meta: Sublevel;
  /** logKey(slot) → LogEntry; only with durability fsync or async */
  log: Sublevel;
  /** clientFloorKey → floor, clientResultKey → cached OpResult */
  clients: Sublevel;
}

export type BatchOperation =
  { type: 'put'; sublevel: Sublevel; key: string; value: Uint8Array } | { type: 'del'; sublevel: Sublevel; key: string };

export async function openSublevels(dir: string): Promise<Sublevels> {
  const db: Database = new Level<string, Uint8Array>(dir, ENCODINGS);
  await db.open();
  return { db, kv: sublevel(db, 'kv'), meta: sublevel(db, 'meta'), log: sublevel(db, 'log'), clients: sublevel(db, 'clients') };
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
