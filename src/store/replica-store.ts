// Opens a replica's database and the three stores over it, each with one job: the durable log and view
// state (replica-log.ts), the applied state (state-store.ts), and reads for the API (local-reads.ts).
import { levelDatabase, openSublevels, type Database } from './database.js';
import { LocalReads } from './local-reads.js';
import { ReplicaLog } from './replica-log.js';
import { discardUntrustedState } from './snapshot.js';
import { StateStore, type StateStoreOptions } from './state-store.js';

export type ReplicaStoreOptions = StateStoreOptions;

export interface ReplicaStore {
  readonly log: ReplicaLog;
  readonly state: StateStore;
  readonly reads: LocalReads;
  /** Waits for the applies in flight, then closes the database. */
  close(): Promise<void>;
}

/** `database`: a folder for LevelDB, or an abstract-level database of the caller's (the simulator's disk). */
export async function openReplicaStore(database: string | Database, options: ReplicaStoreOptions): Promise<ReplicaStore> {
  const db = typeof database === 'string' ? levelDatabase(database) : database;
  const sublevels = await openSublevels(db);
  try {
    const stateLost = await discardUntrustedState(db, options.durability === 'memory');
    const log = await ReplicaLog.open(sublevels, options.durability);
    const state = await StateStore.open(sublevels, options, stateLost);
    return {
      log,
      state,
      reads: new LocalReads(sublevels),
      async close() {
        await state.settled();
        await db.close();
      },
    };
  } catch (err) {
    await db.close();
    throw err;
  }
}
