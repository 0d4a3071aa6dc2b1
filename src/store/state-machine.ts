// The replicated state machine as a pure function: committed entries in, results and the new state out.
// No I/O: the caller prefetches every key the batch touches and writes the outcome in one atomic batch
// (kv-store.ts). Same entries and same starting state give the same outcome on every replica.
import assert from 'node:assert/strict';
import { decodeOpRequest, type KeyRecord, type OpRequest, type OpResult } from './ops.js';
import { type AppliedEntry, type LogEntry, NOOP_REASON, type StoreMeta } from './log-entry.js';
import { BELOW_FLOOR_REASON, admit, cloneClient, type ClientState, newClient, raiseFloor, remember } from './client-table.js';
import { applyKvOp } from './kv-op.js';

export type Command = { kind: 'noop' } | { kind: 'invalid'; reason: string } | { kind: 'request'; request: OpRequest };

export interface DecodedEntry {
  entry: LogEntry;
  command: Command;
}

export interface ApplyInput {
  meta: StoreMeta;
  /** The stored record (null: absent) of every key in keysTouched() of the batch. */
  records: ReadonlyMap<string, KeyRecord | null>;
  clients: ReadonlyMap<number, ClientState>;
}

export interface ApplyOutput {
  meta: StoreMeta;
  applied: AppliedEntry[];
  /** Final record of every key the batch changed (null: deleted). */
  writes: Map<string, KeyRecord | null>;
  /** New state of every client the batch touched; the input states are left as they were. */
  clients: Map<number, ClientState>;
}

export function decodeEntries(entries: readonly LogEntry[]): DecodedEntry[] {
  return entries.map((entry): DecodedEntry => {
    if (entry.noop) return { entry, command: { kind: 'noop' } };
    const request = decodeOpRequest(entry.body);
    return { entry, command: 'invalid' in request ? { kind: 'invalid', reason: request.invalid } : { kind: 'request', request } };
  });
}

export function keysTouched(decoded: readonly DecodedEntry[]): string[] {
  const keys = new Set<string>();
  for (const { command } of decoded) if (command.kind === 'request') keys.add(command.request.op.key);
  return [...keys];
}

/**
 * Entries must continue exactly where meta stopped: the next slot, in the same or a newer session. How
 * (session, seq) advance is the consensus layer's rule; the store only refuses a session going back.
 */
function assertNext(meta: StoreMeta, entry: LogEntry): void {
  assert.equal(entry.slot, meta.appliedSlot + 1, `entry at slot ${entry.slot} does not follow applied slot ${meta.appliedSlot}`);
  assert.ok(entry.session >= meta.session, `entry of session ${entry.session} is older than applied session ${meta.session}`);
}

export function applyEntries(input: ApplyInput, decoded: readonly DecodedEntry[]): ApplyOutput {
  const meta = { ...input.meta };
  const applied: AppliedEntry[] = [];
  // Later entries of the batch must see earlier ones, so changes go to an overlay over the prefetched state.
  const writes = new Map<string, KeyRecord | null>();
  const clients = new Map<number, ClientState>();

  const lookup = (key: string): KeyRecord | null => {
    const written = writes.get(key);
    if (written !== undefined) return written;
    const stored = input.records.get(key);
    assert.ok(stored !== undefined, `key '${key}' was not prefetched`);
    return stored;
  };
  const touch = (clientId: number): ClientState => {
    let client = clients.get(clientId);
    if (client === undefined) {
      const stored = input.clients.get(clientId);
      client = stored === undefined ? newClient() : cloneClient(stored);
      clients.set(clientId, client);
    }
    return client;
  };

  for (const { entry, command } of decoded) {
    assertNext(meta, entry);
    meta.appliedSlot = entry.slot;
    meta.session = entry.session;
    meta.appliedSeq = entry.seq;
    let result: OpResult;
    switch (command.kind) {
      case 'noop':
        result = { type: 'invalid', revision: meta.revision, reason: NOOP_REASON };
        break;
      case 'invalid':
        result = { type: 'invalid', revision: meta.revision, reason: command.reason };
        break;
      case 'request': {
        const client = touch(entry.clientId);
        raiseFloor(client, command.request.floor);
        const admission = admit(client, entry.requestId);
        if (admission.kind === 'below-floor') {
          result = { type: 'invalid', revision: meta.revision, reason: BELOW_FLOOR_REASON };
        } else if (admission.kind === 'cached') {
          result = admission.result;
        } else {
          const { op } = command.request;
          const outcome = applyKvOp(op, meta.revision, lookup(op.key));
          if (outcome.write !== undefined) writes.set(op.key, outcome.write);
          meta.revision = outcome.revision;
          result = outcome.result;
          // Re-running a get is harmless, so only writes are remembered.
          if (op.type !== 'get') remember(client, entry.requestId, result);
        }
        break;
      }
    }
    applied.push({ slot: entry.slot, session: entry.session, seq: entry.seq, clientId: entry.clientId, requestId: entry.requestId, result });
  }
  return { meta, applied, writes, clients };
}
