// Child process of the atomicity crash test: opens the replica store in the folder given as its argument (fsync)
// and applies crash batches from where that store stands, printing one JSON line per applied batch, until
// the parent kills it. BATCHES_MAX bounds it should the parent never do so.
import { openReplicaStore } from '../../../src/store/replica-store.js';
import { crashBatch, ENTRIES_PER_BATCH } from './crash-batches.js';

const BATCHES_MAX = 2_000;

const dir = process.argv[2];
if (dir === undefined) throw new Error('usage: crash-writer.ts <store folder>');
const store = await openReplicaStore(dir, { durability: 'fsync' });
const { appliedSlot } = store.state.meta();
if (appliedSlot % ENTRIES_PER_BATCH !== 0) throw new Error(`applied slot ${appliedSlot} is inside a batch`);
const resumedAfter = appliedSlot / ENTRIES_PER_BATCH;
// Writes to a pipe are synchronous on Linux: a line printed is in the pipe before the next batch starts.
process.stdout.write(`${JSON.stringify({ resumedAfter })}\n`);
for (let batch = resumedAfter + 1; batch <= resumedAfter + BATCHES_MAX; batch++) {
  await store.state.applyBatch(crashBatch(batch));
  process.stdout.write(`${JSON.stringify({ applied: batch })}\n`);
}
await store.close();
