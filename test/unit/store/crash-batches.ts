// The batches the atomicity crash test's child applies (crash-writer.ts), and the state a store holding
// exactly the first K of them must be in; the parent (atomicity.test.ts) compares a reopened store to it.
import type { ClientState } from '../../../src/store/client-table.js';
import type { LogEntry } from '../../../src/consensus/log-entry.js';
import { INITIAL_META, type StoreMeta } from '../../../src/store/applied.js';
import { DEFAULT_CLIENT_ID, opEntry, put } from './fixtures.js';

/** With VALUE_BYTES each, one batch is a LevelDB write of over 32 KiB: it spans blocks of LevelDB's log. */
export const ENTRIES_PER_BATCH = 32;
const VALUE_BYTES = 1024;
/** Written by the last entry of every batch, so one key's version and revisions span batches too. */
const LAST_KEY = 'crash/last';
const LAST_ENTRY = ENTRIES_PER_BATCH - 1;

const firstSlotOf = (batch: number): number => (batch - 1) * ENTRIES_PER_BATCH + 1;
const keyAt = (batch: number, entry: number): string =>
  entry === LAST_ENTRY ? LAST_KEY : `crash/${String(batch).padStart(6, '0')}/${String(entry).padStart(2, '0')}`;
const valueAt = (batch: number, entry: number): string =>
  entry === LAST_ENTRY ? String(batch) : `${batch}:${entry}:`.padEnd(VALUE_BYTES, 'x');

/**
 * Batch `batch` (from 1): one put per slot. Every entry raises its client's floor to the previous batch's
 * end, so applying a batch also deletes the previous batch's cached results and rewrites the floor.
 */
export function crashBatch(batch: number): LogEntry[] {
  const first = firstSlotOf(batch);
  return Array.from({ length: ENTRIES_PER_BATCH }, (_, j) =>
    opEntry(first + j, put(keyAt(batch, j), valueAt(batch, j)), { floor: first - 1 }),
  );
}

export interface StoredRow {
  key: string;
  value: string;
  createRevision: number;
  modRevision: number;
  version: number;
}

export interface CrashState {
  meta: StoreMeta;
  /** Every key under crash/, in key order. */
  rows: StoredRow[];
  /** The watch history: each revision with the keys it changed. */
  history: Array<[number, string[]]>;
  clients: Map<number, ClientState>;
}

/** Each put takes one slot and one revision, so after K batches slot, seq and revision are all K * ENTRIES_PER_BATCH. */
export function stateAfter(batches: number): CrashState {
  const lastSlot = batches * ENTRIES_PER_BATCH;
  const state: CrashState = {
    meta:
      batches === 0
        ? { ...INITIAL_META }
        : { appliedSlot: lastSlot, session: 1, appliedSeq: lastSlot, revision: lastSlot, compactRevision: 0 },
    rows: [],
    history: [],
    clients: new Map(),
  };
  for (let batch = 1; batch <= batches; batch++) {
    for (let j = 0; j < ENTRIES_PER_BATCH; j++) {
      const slot = firstSlotOf(batch) + j;
      state.history.push([slot, [keyAt(batch, j)]]);
      if (j !== LAST_ENTRY)
        state.rows.push({ key: keyAt(batch, j), value: valueAt(batch, j), createRevision: slot, modRevision: slot, version: 1 });
    }
  }
  if (batches === 0) return state;
  // LAST_KEY sorts after every batch key.
  state.rows.push({ key: LAST_KEY, value: String(batches), createRevision: ENTRIES_PER_BATCH, modRevision: lastSlot, version: batches });
  const results = Array.from({ length: ENTRIES_PER_BATCH }, (_, j) => firstSlotOf(batches) + j).map(
    (slot) => [slot, { type: 'put' as const, revision: slot, modRevision: slot }] as const,
  );
  state.clients.set(DEFAULT_CLIENT_ID, { floor: firstSlotOf(batches) - 1, results: new Map(results) });
  return state;
}
