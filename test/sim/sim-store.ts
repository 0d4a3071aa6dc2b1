// Each simulated replica's state machine: the production pure apply (src/store/state-machine.ts) over
// in-memory maps instead of LevelDB, so the simulator applies exactly the logic the real store does. An
// AppliedState is an immutable snapshot, which lets the simulated disk keep the last durable one by
// reference (the key and client sets are small, so copying them per batch is cheap).
import type { ClientState } from '../../src/store/client-table.js';
import { INITIAL_META, type AppliedEntry, type LogEntry, type StoreMeta } from '../../src/store/log-entry.js';
import type { KeyRecord } from '../../src/store/ops.js';
import { applyEntries, decodeEntries, keysTouched } from '../../src/store/state-machine.js';

export interface AppliedState {
  readonly meta: StoreMeta;
  readonly records: ReadonlyMap<string, KeyRecord>;
  readonly clients: ReadonlyMap<number, ClientState>;
}

export function emptyAppliedState(): AppliedState {
  return { meta: { ...INITIAL_META }, records: new Map(), clients: new Map() };
}

export function applyToState(state: AppliedState, entries: readonly LogEntry[]): { state: AppliedState; applied: AppliedEntry[] } {
  const decoded = decodeEntries(entries);
  const records = new Map(keysTouched(decoded).map((key) => [key, state.records.get(key) ?? null] as const));
  const output = applyEntries({ meta: state.meta, records, clients: state.clients }, decoded);
  const nextRecords = new Map(state.records);
  for (const [key, record] of output.writes) {
    if (record === null) nextRecords.delete(key);
    else nextRecords.set(key, record);
  }
  const nextClients = new Map(state.clients);
  for (const [clientId, client] of output.clients) nextClients.set(clientId, client);
  return { state: { meta: output.meta, records: nextRecords, clients: nextClients }, applied: output.applied };
}
