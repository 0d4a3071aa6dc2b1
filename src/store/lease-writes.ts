// The LevelDB operations for the lease changes of an apply batch, destined for the same atomic batch.
import type { BatchOperation, Sublevels } from './database.js';
import type { ApplyOutput } from './state-machine.js';
import { encodeLease, LEASE_INDEX_VALUE, leaseKey } from './lease-store.js';

export function leaseWrites(sublevels: Pick<Sublevels, 'leases' | 'leaseKeys'>, output: ApplyOutput): BatchOperation[] {
  const operations: BatchOperation[] = [];
  for (const [lease, record] of output.leases) {
    const key = leaseKey(lease);
    operations.push(
      record === null
        ? { type: 'del', sublevel: sublevels.leases, key }
        : { type: 'put', sublevel: sublevels.leases, key, value: encodeLease(record) },
    );
  }
  for (const [key, attached] of output.leaseIndex) {
    operations.push(
      attached
        ? { type: 'put', sublevel: sublevels.leaseKeys, key, value: LEASE_INDEX_VALUE }
        : { type: 'del', sublevel: sublevels.leaseKeys, key },
    );
  }
  return operations;
}
