// Snapshot transfer of the replicated state (docs/design.md §3, state transfer): every record of the
// database except this replica's own view state, read through ONE iterator so it is a single
// point-in-time view. Installing replaces the replicated state wholesale; a marker record makes an
// interrupted install visible at the next open, which then discards the half-written state.
import { type Database, writeOptions } from './database.js';
import { INSTALLING_KEY, VIEW_STATE_KEY } from './keys.js';

export { INSTALLING_KEY };

const WRITE_BATCH_KEYS = 1_000;
const EMPTY = Buffer.alloc(0);

export type SnapshotRecord = [key: Uint8Array, value: Uint8Array];

function isReplicated(key: Uint8Array): boolean {
  return !VIEW_STATE_KEY.equals(key) && !INSTALLING_KEY.equals(key);
}

export async function* exportSnapshot(db: Database): AsyncGenerator<SnapshotRecord> {
  for await (const [key, value] of db.iterator()) {
    if (isReplicated(key)) yield [key, value];
  }
}

/** Writes puts (a value) and deletes (null) as one chained batch. */
async function writeBatch(db: Database, writes: ReadonlyArray<[Buffer, Buffer | null]>): Promise<void> {
  if (writes.length === 0) return;
  const batch = db.batch();
  for (const [key, value] of writes) {
    if (value === null) batch.del(key);
    else batch.put(key, value);
  }
  await batch.write();
}

/** Deletes everything but the view state (and, unless asked, the install marker), in bounded batches. */
async function clearExceptViewState(db: Database, keepMarker: boolean): Promise<void> {
  let doomed: Array<[Buffer, null]> = [];
  for await (const key of db.keys()) {
    if (VIEW_STATE_KEY.equals(key) || (keepMarker && INSTALLING_KEY.equals(key))) continue;
    doomed.push([key, null]);
    if (doomed.length >= WRITE_BATCH_KEYS) {
      await writeBatch(db, doomed);
      doomed = [];
    }
  }
  await writeBatch(db, doomed);
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
  await db.put(INSTALLING_KEY, EMPTY, writeOptions(true));
  try {
    await beforeReplace();
    await replaceReplicatedState(db, records);
  } catch (err) {
    throw new SnapshotInstallBroken(err);
  }
}

async function replaceReplicatedState(db: Database, records: AsyncIterable<SnapshotRecord>): Promise<void> {
  await clearExceptViewState(db, true);
  let batch: Array<[Buffer, Buffer]> = [];
  for await (const [key, value] of records) {
    if (!isReplicated(key)) continue; // A peer never sends these; never let one overwrite ours.
    batch.push([Buffer.from(key), Buffer.from(value)]);
    if (batch.length >= WRITE_BATCH_KEYS) {
      await writeBatch(db, batch);
      batch = [];
    }
  }
  await writeBatch(db, batch);
  await db.del(INSTALLING_KEY, writeOptions(true));
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
