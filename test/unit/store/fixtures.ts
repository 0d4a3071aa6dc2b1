// Shared helpers for the store tests: real LevelDB stores in temp folders that are closed and removed
// after each test, and builders for log entries.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { Level } from 'level';
import type { Durability } from '../../../src/config/cluster.js';
import { openReplicaStore, type ReplicaStore, type ReplicaStoreOptions } from '../../../src/store/replica-store.js';
import type { KeyRecord } from '../../../src/store/ops.js';
import type { LogEntry } from '../../../src/consensus/log-entry.js';
import { encodeOpRequest, type KvOp } from '../../../src/store/ops.js';

export const DEFAULT_CLIENT_ID = 7;

export function bytes(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/** Where the sequencer put an entry; defaults to session 1 with seq equal to the slot. */
export interface Position {
  session?: number;
  seq?: number;
}

export interface EntryOptions extends Position {
  view?: number;
  clientId?: number;
  /** Defaults to the slot, which gives every entry its own request id. */
  requestId?: number;
  floor?: number;
}

/**
 * Applying an entry leaves msgpackr's cached `dataView` on its body, so tests compare what the store hands
 * back against freshly built entries, not against entries they have already applied.
 */
export function opEntry(slot: number, op: KvOp, options: EntryOptions = {}): LogEntry {
  return {
    slot,
    session: options.session ?? 1,
    seq: options.seq ?? slot,
    view: options.view ?? 0,
    clientId: options.clientId ?? DEFAULT_CLIENT_ID,
    requestId: options.requestId ?? slot,
    // msgpackr packs into a Buffer; a plain Uint8Array is what the store hands back from disk.
    body: new Uint8Array(encodeOpRequest({ floor: options.floor ?? 0, ops: [{ requestId: options.requestId ?? slot, op }] })),
    noop: false,
  };
}

export function noopEntry(slot: number, position: Position = {}): LogEntry {
  const { session = 1, seq = slot } = position;
  return { slot, session, seq, view: 0, clientId: 0, requestId: 0, body: new Uint8Array(0), noop: true };
}

export function rawEntry(slot: number, body: Uint8Array, position: Position = {}): LogEntry {
  const { session = 1, seq = slot } = position;
  return { slot, session, seq, view: 0, clientId: DEFAULT_CLIENT_ID, requestId: slot, body, noop: false };
}

export const put = (key: string, value: string, contentType?: string): KvOp =>
  contentType === undefined ? { type: 'put', key, value: bytes(value) } : { type: 'put', key, value: bytes(value), contentType };
export const del = (key: string): KvOp => ({ type: 'delete', key });
/** A point read through the log is a txn of one get; `getResult` is what it answers. */
export const get = (key: string): KvOp => ({ type: 'txn', txn: { compare: [], success: [{ type: 'get', key }], failure: [] } });
export const getResult = (revision: number, record: unknown) => ({
  type: 'txn',
  revision,
  succeeded: true,
  results: [{ type: 'get', record }],
});

/** Registers afterEach cleanup; every store it opens is closed and every folder removed after the test. */
export function storeHarness() {
  const stores: ReplicaStore[] = [];
  const dirs: string[] = [];
  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
    await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  });
  return {
    async newDir(): Promise<string> {
      const dir = await mkdtemp(join(tmpdir(), 'mrtom-kv-store-'));
      dirs.push(dir);
      return dir;
    },
    /** Segments of 1 MiB unless asked: tests write little, and open many stores. */
    async openWith(dir: string, options: ReplicaStoreOptions): Promise<ReplicaStore> {
      const store = await openReplicaStore(dir, { walSegmentBytes: 1024 * 1024, ...options });
      stores.push(store);
      return store;
    },
    open(dir: string, durability: Durability): Promise<ReplicaStore> {
      return this.openWith(dir, { durability });
    },
  };
}

/** Every key and value in the store's database, sublevel prefixes included, read with LevelDB directly. */
export async function dumpDatabase(dir: string): Promise<Array<[string, string]>> {
  const db = new Level<string, Uint8Array>(join(dir, 'state'), { keyEncoding: 'utf8', valueEncoding: 'view' });
  try {
    const rows: Array<[string, string]> = [];
    for await (const [key, value] of db.iterator()) rows.push([key, Buffer.from(value).toString('hex')]);
    return rows;
  } finally {
    await db.close();
  }
}

/** The applied record of one key, read as the API reads it (null: absent). */
export async function readRecord(store: ReplicaStore, key: string): Promise<KeyRecord | null> {
  return (await store.reads.readKey(key)).record;
}
