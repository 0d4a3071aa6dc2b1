// The two read modes (docs/design.md §5). Linearizable reads wait for a batched read barrier and then read
// local state; stale reads read local state at once. Either way the answer carries the revision it is at.
import type { LocalReads, KvService } from './service.js';

export type Consistency = 'linearizable' | 'stale';

export async function readLocal<T>(
  service: KvService,
  consistency: Consistency | undefined,
  read: (local: LocalReads) => Promise<T>,
): Promise<T> {
  if (consistency !== 'stale') await service.barrier();
  return read(service.local);
}
