// Snapshot transfer of the replicated state (docs/design.md §3, state transfer): every key of the database
// except this replica's own view state, read through ONE iterator so it is a single point-in-time view. Installing replaces the replicated state wholesale; a marker key makes an
// interrupted install visible at the next open, which then discards the half-written state.
import { type Database, writeOptions } from './database.js';
import { VIEW_STATE_KEY } from './keys.js';

/** Root-level key (outside every sublevel) present only while an install is being written. */
export const INSTALLING_KEY = 'snapshot-installing';
/** Root keys of the meta sublevel's view state: this replica's promises, never copied from a peer. */
const VIEW_STATE_ROOT_KEY = `!meta!${VIEW_STATE_KEY}`;
const WRITE_BATCH_KEYS = 1_000;

export type SnapshotRecord = [key: string, value: Uint8Array];

function isReplicated(rootKey: string): boolean {
  return rootKey !== VIEW_STATE_ROOT_KEY && rootKey !== INSTALLING_KEY;
}

export async function* exportSnapshot(db: Database): AsyncGenerator<SnapshotRecord> {
  for await (const [key, value] of db.iterator()) {
    if (isReplicated(key)) yield [key, value];
  }
}

/** Deletes everything but the view state (and, unless asked, the install marker), in bounded batches. */
async function clearExceptViewState(db: Database, keepMarker: boolean): Promise<void> {
  let doomed: string[] = [];
  const flush = async (): Promise<void> => {
    if (doomed.length > 0) await db.batch(doomed.map((key) => ({ type: 'del' as const, key })));
    doomed = [];
  };
  for await (const key of db.keys()) {
    if (key === VIEW_STATE_ROOT_KEY || (keepMarker && key === INSTALLING_KEY)) continue;
    doomed.push(key);
    if (doomed.length >= WRITE_BATCH_KEYS) await flush();
  }
  await flush();
}

/** An install failed after it began clearing the store: the replicated state is gone until a restart
 *  discards the rest and recovers it from the peers. */
export class SnapshotInstallBroken extends Error {
  constructor(override readonly cause: unknown) {
    super(`snapshot install broke off after it began: ${(cause as Error)?.message ?? String(cause)}`);
    this.name = 'SnapshotInstallBroken';
  }
}

/** `beforeReplace` runs once the install is durably marked, before anything is replaced. */
export async function installSnapshot(
  db: Database,
  records: AsyncIterable<SnapshotRecord>,
  beforeReplace: () => Promise<void>,
): Promise<void> {
  await db.put(INSTALLING_KEY, new Uint8Array(0), writeOptions(true));
  try {
    await beforeReplace();
    await replaceReplicatedState(db, records);
  } catch (err) {
    throw new SnapshotInstallBroken(err);
  }
}

async function replaceReplicatedState(db: Database, records: AsyncIterable<SnapshotRecord>): Promise<void> {
  await clearExceptViewState(db, true);
  let batch: SnapshotRecord[] = [];
  const flush = async (): Promise<void> => {
    if (batch.length > 0) await db.batch(batch.map(([key, value]) => ({ type: 'put' as const, key, value })));
    batch = [];
  };
  for await (const record of records) {
    if (!isReplicated(record[0])) continue; // A peer never sends these; never let one overwrite ours.
    batch.push(record);
    if (batch.length >= WRITE_BATCH_KEYS) await flush();
  }
  await flush();
  await db.batch([{ type: 'del', key: INSTALLING_KEY }], writeOptions(true));
}

/**
 * Called at open: discards replicated state that cannot be trusted — a half-written install, or anything
 * at all with durability 'memory' (a restart lost it by definition). Returns whether something was lost.
 */
export async function discardUntrustedState(db: Database, memoryDurability: boolean): Promise<boolean> {
  const interrupted = (await db.get(INSTALLING_KEY)) !== undefined;
  if (!interrupted && !memoryDurability) return false;
  await clearExceptViewState(db, false);
  return true;
}
