// Opens a replica's storage, each part with one job: the durable log and view state (replica-log.ts, the
// log in its own write-ahead log), the applied state (state-store.ts), and reads for the API
// (local-reads.ts). On disk: `<dir>/state` (LevelDB) and `<dir>/wal` (segments).
import { join } from 'node:path';
import { levelDatabase, type Database } from './database.js';
import { LocalReads } from './local-reads.js';
import { ReplicaLog } from './replica-log.js';
import { discardUntrustedState } from './snapshot.js';
import { StateStore, type StateStoreOptions } from './state-store.js';
import type { WalFolder } from './wal/files.js';
import { nodeWalFolder } from './wal/node-files.js';

export interface ReplicaStoreOptions extends StateStoreOptions {
  walSegmentBytes?: number;
  /** Applied entries kept in the log window at restart (the replica's retention); all by default. */
  logRetainEntries?: number;
}

export interface ReplicaStore {
  readonly log: ReplicaLog;
  readonly state: StateStore;
  readonly reads: LocalReads;
  /** Waits for the applies in flight, then closes the database and the log. */
  close(): Promise<void>;
}

/** The simulator's disk (test/sim) passes its own database and log folder. */
export interface StorageParts {
  database: Database;
  wal: WalFolder;
}

/** `location`: a data folder, or the parts of a caller's storage. */
export async function openReplicaStore(location: string | StorageParts, options: ReplicaStoreOptions): Promise<ReplicaStore> {
  const parts =
    typeof location === 'string'
      ? { database: levelDatabase(join(location, 'state')), wal: nodeWalFolder(join(location, 'wal'), options.durability === 'fsync') }
      : location;
  const db = parts.database;
  await db.open();
  try {
    const stateLost = await discardUntrustedState(db, options.durability === 'memory');
    const state = await StateStore.open(db, options, stateLost);
    const retain = options.logRetainEntries ?? Number.POSITIVE_INFINITY;
    const log = await ReplicaLog.open(db, parts.wal, options.durability, {
      ...(options.walSegmentBytes === undefined ? {} : { segmentBytes: options.walSegmentBytes }),
      keepFromSlot: Math.max(0, state.meta().appliedSlot - retain + 1),
    });
    return {
      log,
      state,
      reads: new LocalReads(db, () => state.readable()),
      async close() {
        await state.settled();
        await log.close();
        await db.close();
      },
    };
  } catch (err) {
    await db.close();
    throw err;
  }
}
