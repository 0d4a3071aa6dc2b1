// Each simulated replica's state machine: the production pure apply (src/store/state-machine.ts) over
// in-memory maps instead of LevelDB, prefetching exactly what the real store prefetches (the batch's
// point keys and range queries, part by part as splitAtRangeReads cuts it), so the simulator applies
// exactly the logic the real store does. An AppliedState is an immutable snapshot, which lets the
// simulated disk keep the last durable one by reference (key and client sets are small, so copying them
// per batch is cheap).
import type { ClientState } from '../../src/store/client-table.js';
import { compareKeys, inRange, rangeId } from '../../src/store/key-range.js';
import type { LogEntry } from '../../src/consensus/log-entry.js';
import { INITIAL_META, type AppliedEntry, type StoreMeta } from '../../src/store/applied.js';
import type { KeyEntry, KeyRecord, RangeQuery } from '../../src/store/ops.js';
import { applyEntries, decodeEntries, readsOf, splitAtRangeReads } from '../../src/store/state-machine.js';

export interface AppliedState {
  readonly meta: StoreMeta;
  readonly records: ReadonlyMap<string, KeyRecord>;
  readonly clients: ReadonlyMap<number, ClientState>;
}

export function emptyAppliedState(): AppliedState {
  return { meta: { ...INITIAL_META }, records: new Map(), clients: new Map() };
}

export function applyToState(state: AppliedState, entries: readonly LogEntry[]): { state: AppliedState; applied: AppliedEntry[] } {
  let current = state;
  const applied: AppliedEntry[] = [];
  for (const part of splitAtRangeReads(decodeEntries(entries))) {
    const reads = readsOf(part);
    const records = new Map(reads.keys.map((key) => [key, current.records.get(key) ?? null] as const));
    const ranges = new Map(reads.ranges.map((query) => [rangeId(query), scan(current.records, query)] as const));
    const output = applyEntries({ meta: current.meta, records, ranges, clients: current.clients }, part);
    const nextRecords = new Map(current.records);
    for (const [key, record] of output.writes) {
      if (record === null) nextRecords.delete(key);
      else nextRecords.set(key, record);
    }
    const nextClients = new Map(current.clients);
    for (const [clientId, client] of output.clients) nextClients.set(clientId, client);
    current = { meta: output.meta, records: nextRecords, clients: nextClients };
    applied.push(...output.applied);
  }
  return { state: current, applied };
}

/** The first query.limit + 1 stored entries of the range in LevelDB's key order, as the store's iterator reads them. */
function scan(records: ReadonlyMap<string, KeyRecord>, query: RangeQuery): KeyEntry[] {
  const keys = [...records.keys()].filter((key) => inRange(query, key)).sort(compareKeys);
  return keys.slice(0, query.limit + 1).map((key) => ({ key, record: records.get(key)! }));
}
