// The replica's database (docs/design.md §4): one abstract-level database — LevelDB (classic-level) in
// production, a simulated disk in test/sim — holding Buffer keys and values at its root, laid out by
// keys.ts. An apply writes one chained batch, which is atomic; reads take a snapshot when they read
// more than one record.
import type { AbstractBatchOptions, AbstractChainedBatch, AbstractLevel, AbstractSnapshot } from 'abstract-level';
import { Level } from 'level';
import { INITIAL_META, type StoreMeta } from './applied.js';
import type { ViewState } from '../consensus/view-state.js';
import { decodeAssembly, decodeClient, decodeRememberedWrite, decodeStoredMeta, decodeViewState } from './codec.js';
import {
  ASSEMBLIES_END,
  ASSEMBLIES_START,
  parseAssemblyKey,
  CLIENTS_END,
  CLIENTS_START,
  type HistoryPosition,
  IDEMPOTENCY_END,
  IDEMPOTENCY_START,
  META_KEY,
  parseClientKey,
  parseIdempotencyKey,
  VIEW_STATE_KEY,
} from './keys.js';
import type { ClientState } from './client-table.js';
import { IdempotencyTable, type RememberedWrite } from './idempotency.js';
import { type Assembly, AssemblyTable } from './pieces.js';

const ENCODINGS = { keyEncoding: 'buffer', valueEncoding: 'buffer' } as const;

/** A database whose default key and value encoding is Buffer. */
export type Database = AbstractLevel<Buffer | Uint8Array | string, Buffer, Buffer>;
export type Batch = AbstractChainedBatch<Database, Buffer, Buffer>;
export type Snapshot = AbstractSnapshot;

/** LevelDB's `sync` write option (wait until the write is on disk), which abstract-level's types do not name;
 *  the simulator's disk (test/sim) honours it the same way. */
export type WriteOptions = AbstractBatchOptions<Buffer, Buffer> & { sync: boolean };

export function writeOptions(sync: boolean): WriteOptions {
  return { sync };
}

/** A LevelDB database in `dir` with the store's encodings, not yet open. */
export function levelDatabase(dir: string): Database {
  return new Level<Buffer, Buffer>(dir, ENCODINGS) as unknown as Database;
}

/** The meta and compaction's sweep position; a fresh store's when none was written. */
export async function readStoredMeta(db: Database, snapshot?: Snapshot): Promise<{ meta: StoreMeta; sweep: HistoryPosition }> {
  const bytes = await db.get(META_KEY, snapshot === undefined ? {} : { snapshot });
  return bytes === undefined ? { meta: { ...INITIAL_META }, sweep: { revision: 0, sub: 0 } } : decodeStoredMeta(bytes);
}

export async function readMeta(db: Database, snapshot?: Snapshot): Promise<StoreMeta> {
  return (await readStoredMeta(db, snapshot)).meta;
}

/** null: no view state was ever saved (a fresh store). */
export async function readViewState(db: Database): Promise<ViewState | null> {
  const bytes = await db.get(VIEW_STATE_KEY);
  return bytes === undefined ? null : decodeViewState(bytes);
}

/** Loads the whole client table; its size is bounded by client-table.ts's limits. */
export async function readClients(db: Database): Promise<Map<number, ClientState>> {
  const table = new Map<number, ClientState>();
  for await (const [key, bytes] of db.iterator({ gte: CLIENTS_START, lt: CLIENTS_END }))
    table.set(parseClientKey(key), decodeClient(bytes));
  return table;
}

/** Loads the whole Idempotency-Key table, oldest first; its size is bounded by idempotency.ts's limits. */
export async function readIdempotency(db: Database): Promise<IdempotencyTable> {
  const rows: Array<[string, RememberedWrite]> = [];
  for await (const [key, bytes] of db.iterator({ gte: IDEMPOTENCY_START, lt: IDEMPOTENCY_END }))
    rows.push(decodeRememberedWrite(parseIdempotencyKey(key), bytes));
  return IdempotencyTable.from(rows);
}

/** Loads every assembly of a split put; at most ASSEMBLIES_MAX (pieces.ts). */
export async function readAssemblies(db: Database): Promise<AssemblyTable> {
  const assemblies: Assembly[] = [];
  for await (const [key, bytes] of db.iterator({ gte: ASSEMBLIES_START, lt: ASSEMBLIES_END }))
    assemblies.push(decodeAssembly(parseAssemblyKey(key), bytes));
  return AssemblyTable.from(assemblies);
}
