// Turns the outcome of applying a batch into the LevelDB operations that make it durable: kv changes,
// client table and Idempotency-Key table changes and the new meta, all destined for ONE atomic batch.
import type { ApplyOutput } from './state-machine.js';
import type { ClientState } from './client-table.js';
import { diffClient } from './client-table.js';
import { clientFloorKey, clientResultKey, idempotencyKey, META_KEY } from './keys.js';
import { encodeCachedResult, encodeFloor, encodeKeyRecord, encodeMeta, encodeRememberedWrite } from './codec.js';
import type { BatchOperation, Sublevels } from './database.js';

export function applyWrites(sublevels: Sublevels, output: ApplyOutput, clientsBefore: ReadonlyMap<number, ClientState>): BatchOperation[] {
  const { kv, meta, clients } = sublevels;
  const operations: BatchOperation[] = [];
  for (const [key, record] of output.writes) {
    operations.push(
      record === null ? { type: 'del', sublevel: kv, key } : { type: 'put', sublevel: kv, key, value: encodeKeyRecord(record) },
    );
  }
  for (const [clientId, after] of output.clients) {
    const change = diffClient(clientId, clientsBefore.get(clientId), after);
    if (change.floor !== null) {
      operations.push({ type: 'put', sublevel: clients, key: clientFloorKey(clientId), value: encodeFloor(change.floor) });
    }
    for (const [requestId, result] of change.added) {
      operations.push({ type: 'put', sublevel: clients, key: clientResultKey(clientId, requestId), value: encodeCachedResult(result) });
    }
    for (const requestId of change.removed) {
      operations.push({ type: 'del', sublevel: clients, key: clientResultKey(clientId, requestId) });
    }
  }
  const { idempotency } = sublevels;
  for (const counter of output.idempotency.forgotten.values())
    operations.push({ type: 'del', sublevel: idempotency, key: idempotencyKey(counter) });
  for (const [key, write] of output.idempotency.remembered) {
    operations.push({ type: 'put', sublevel: idempotency, key: idempotencyKey(write.counter), value: encodeRememberedWrite(key, write) });
  }
  operations.push({ type: 'put', sublevel: meta, key: META_KEY, value: encodeMeta(output.meta) });
  return operations;
}
