// Turns the outcome of applying a batch into the writes that make it durable, all in ONE chained batch
// of root keys (keys.ts): live records, history and revision index, one record per client touched, the
// lease changes, the Idempotency-Key table's changes, split puts' pieces (pieces.ts), the auth tokens', compaction's deletes and the meta with the sweep
// position.
import type { ApplyOutput } from './state-machine.js';
import {
  assemblyKey,
  pieceKey,
  clientKey,
  historyKey,
  idempotencyKey,
  leaseIndexKey,
  leaseKey,
  liveKey,
  META_KEY,
  revisionIndexKey,
  ROOT_BOOTSTRAPPED_KEY,
  tokenKey,
  type HistoryPosition,
} from './keys.js';
import { encodeToken } from './token-table.js';
import { asBuffer, encodeAssembly, encodeClient, encodeMeta, encodeRememberedWrite } from './codec.js';
import { encodeIndexEntry, encodeLive, encodeRevisionRecord } from './record-codec.js';
import type { Batch } from './database.js';
import { finalPosition, type HistoryChanges } from './history-writes.js';
import { encodeLease, LEASE_INDEX_VALUE } from './lease-store.js';
import { nameOfAssemblyId } from './pieces.js';

const ROOT_BOOTSTRAPPED_VALUE = Buffer.alloc(0);

export interface ApplyWrites {
  output: ApplyOutput;
  history: HistoryChanges;
  /** Compaction's deletes: written last, since they may delete records this batch writes. */
  deletes: readonly Buffer[];
  sweep: HistoryPosition;
}

export function writeApply(batch: Batch, { output, history, deletes, sweep }: ApplyWrites): void {
  for (const { position, record } of history.records) {
    batch.put(historyKey(position), encodeRevisionRecord(record));
    if (!record.superseded)
      batch.put(revisionIndexKey(record.key, position.revision), encodeIndexEntry(position.sub, record.record === null));
  }
  for (const [key, record] of output.writes) {
    if (record === null) batch.del(liveKey(key));
    else batch.put(liveKey(key), encodeLive(record, finalPosition(history, key, record).sub));
  }
  for (const [clientId, client] of output.clients) batch.put(clientKey(clientId), asBuffer(encodeClient(client)));
  for (const [lease, record] of output.leases) {
    if (record === null) batch.del(leaseKey(lease));
    else batch.put(leaseKey(lease), encodeLease(record));
  }
  for (const { lease, key, attached } of output.leaseIndex) {
    if (attached) batch.put(leaseIndexKey(lease, key), LEASE_INDEX_VALUE);
    else batch.del(leaseIndexKey(lease, key));
  }
  for (const counter of output.idempotency.forgotten.values()) batch.del(idempotencyKey(counter));
  for (const [key, write] of output.idempotency.remembered)
    batch.put(idempotencyKey(write.counter), asBuffer(encodeRememberedWrite(key, write)));
  for (const [id, token] of output.tokens.writes) {
    if (token === null) batch.del(tokenKey(id));
    else batch.put(tokenKey(id), encodeToken(token));
  }
  for (const { name, index, bytes } of output.pieces.pieces.values()) {
    if (bytes === null) batch.del(pieceKey(name, index));
    else batch.put(pieceKey(name, index), asBuffer(bytes));
  }
  for (const [id, assembly] of output.pieces.assemblies) {
    const name = nameOfAssemblyId(id);
    if (assembly === null) batch.del(assemblyKey(name));
    else batch.put(assemblyKey(name), asBuffer(encodeAssembly(assembly)));
  }
  if (output.tokens.rootBootstrapped) batch.put(ROOT_BOOTSTRAPPED_KEY, ROOT_BOOTSTRAPPED_VALUE);
  for (const key of deletes) batch.del(key);
  batch.put(META_KEY, asBuffer(encodeMeta(output.meta, sweep)));
}
