// Deliberate bugs the simulator must catch (`npm test` runs each until a seed catches it). Each lives here,
// in test code, as a wrapper around one production part — a storage or network port, the replica machine,
// or the submitter's feed — through the seams src/runtime/replica-process.ts offers; production code holds
// none of them. tamper-ordered is the network's (cluster.ts).
import { applyCommitted, imposeNoop } from '../../src/consensus/log.js';
import type { LogEntry } from '../../src/consensus/log-entry.js';
import type { ReplicaState } from '../../src/consensus/state.js';
import type { ReplicaMachine } from '../../src/consensus/types.js';
import { leaderOf } from '../../src/mrtom/group.js';
import { HEADER_BYTES, MessageType, readHeader, writeHeader } from '../../src/mrtom/header.js';
import type { AppliedStateStorage, LogStorage, Network } from '../../src/runtime/ports.js';
import type { SubmitterFeed } from '../../src/runtime/submitter.js';
import type { AppliedEntry } from '../../src/store/applied.js';
import { LocalReads } from '../../src/store/local-reads.js';
import { decodeOpRequest, encodeOpRequest } from '../../src/store/ops.js';
import type { NodeFaults } from './sim-replica-node.js';

export const MUTATIONS = {
  'ack-before-durable': 'the log port reports an append done before it is on disk, so the replica ACKs entries it may lose',
  'view-promise-unsynced':
    'the log port reports the view state saved before it is on disk, so a vote or ACK outlives a crash it should not',
  'checkpoint-unsynced': 'the state port reports an apply checkpointed without syncing it, so the log is trimmed below what is durable',
  'apply-uncommitted': 'the replica applies every entry it holds, committed or not',
  'leader-noops-held-slot':
    'the leader turns the oldest slot it holds but has not applied into a NO-OP, though it may be committed elsewhere',
  'reads-before-written':
    'reads do not wait for the database write of an apply whose results were already answered, so a read can miss the write it follows',
  'resolve-before-apply': 'the submitter resolves a read barrier once it is committed, without waiting for this replica to apply it',
  'dedup-disabled': 'a resent REQUEST goes out under a new client id, so replicas cannot tell it is a retry',
  'idempotency-ignored': "REQUESTs go out without their ops' Idempotency-Keys, so a keyed retry by a new submitter applies again",
  'tamper-ordered': 'the network swaps the body of one ORDERED datagram to one replica',
} as const;

export type Mutation = keyof typeof MUTATIONS;

export function isMutation(name: string): name is Mutation {
  return name in MUTATIONS;
}

/** The wrappers a mutation puts around every replica process; none for tamper-ordered or no mutation. */
export function nodeFaults(mutation: Mutation | null, replicaId: number): NodeFaults {
  switch (mutation) {
    case 'ack-before-durable':
      return { seams: {}, log: (log) => ({ ...log, append: (entries) => doneAtOnce(log.append(entries)) }) };
    case 'view-promise-unsynced':
      return { seams: {}, log: (log) => ({ ...log, saveView: (view) => doneAtOnce(log.saveView(view)) }) };
    case 'checkpoint-unsynced':
      return {
        seams: {},
        state: (state): AppliedStateStorage => ({
          applyBatch: (entries, _checkpoint, onResults) => state.applyBatch(entries, false, onResults),
          installSnapshot: (records, beforeReplace) => state.installSnapshot(records, beforeReplace),
        }),
      };
    case 'apply-uncommitted':
      return { seams: { machine: (machine, state) => afterEachStep(machine, state, applyEverythingHeld) } };
    case 'leader-noops-held-slot':
      return { seams: { machine: (machine, state) => afterEachStep(machine, state, noopOldestHeldSlot) } };
    case 'reads-before-written':
      return { seams: {}, reads: (database) => new LocalReads(database, () => Promise.resolve()) };
    case 'resolve-before-apply':
      return { seams: { feed: resolveBarriersOnCommit } };
    case 'dedup-disabled':
      return { seams: {}, network: (network) => resendsUnderNewClientIds(network, replicaId) };
    case 'idempotency-ignored':
      return { seams: {}, network: requestsWithoutIdempotencyKeys };
    case 'tamper-ordered':
    case null:
      return { seams: {} };
  }
}

/** The write still happens, but the caller is told it is done before it is. */
function doneAtOnce(write: Promise<void>): Promise<void> {
  void write;
  return Promise.resolve();
}

function afterEachStep(
  machine: ReplicaMachine,
  state: ReplicaState,
  extra: (state: ReplicaState, flush: boolean) => ReturnType<ReplicaMachine['step']>,
): ReplicaMachine {
  return { ...machine, step: (input) => [...machine.step(input), ...extra(state, input.kind === 'flush')] };
}

function applyEverythingHeld(state: ReplicaState): ReturnType<ReplicaMachine['step']> {
  state.commit = Math.max(state.commit, state.through);
  return applyCommitted(state);
}

function noopOldestHeldSlot(state: ReplicaState, flush: boolean): ReturnType<ReplicaMachine['step']> {
  const slot = state.applied + 1;
  const isLeader = leaderOf(state.options.replicaIds, state.vs.view) === state.options.id;
  if (!flush || !isLeader || state.status !== 'normal') return [];
  if (slot <= state.vs.sessionBase || slot > state.through || state.log.get(slot)?.noop) return [];
  return imposeNoop(state, slot);
}

/** The read barriers an entry carries, as the applied entries that would answer them. */
function barriersOf(entry: LogEntry): AppliedEntry[] {
  const request = entry.noop ? null : decodeOpRequest(entry.body);
  if (request === null || 'invalid' in request) return [];
  const { slot, session, seq, clientId } = entry;
  return request.ops
    .filter(({ op }) => op.type === 'barrier')
    .map(({ requestId }) => ({ slot, session, seq, clientId, requestId, result: { type: 'barrier', revision: 0 } }));
}

function resolveBarriersOnCommit(feed: SubmitterFeed): SubmitterFeed {
  return {
    onLogged: (entries) => feed.onLogged(entries),
    onDurable: (entries) => feed.onDurable(entries),
    onCommitted(entries) {
      feed.onCommitted(entries);
      feed.onApplied(entries.flatMap(barriersOf));
    },
    onApplied: (entries) => feed.onApplied(entries),
  };
}

function requestsWithoutIdempotencyKeys(network: Network): Network {
  return {
    send(to, bytes) {
      const header = readHeader(bytes);
      const request = header.type === MessageType.REQUEST ? decodeOpRequest(bytes.subarray(HEADER_BYTES)) : null;
      if (request === null || 'invalid' in request) return network.send(to, bytes);
      const body = encodeOpRequest({ floor: request.floor, ops: request.ops.map(({ requestId, op }) => ({ requestId, op })) });
      const stripped = new Uint8Array(HEADER_BYTES + body.byteLength);
      writeHeader(stripped, header, body.byteLength);
      stripped.set(body, HEADER_BYTES);
      network.send(to, stripped);
    },
  };
}

function resendsUnderNewClientIds(network: Network, replicaId: number): Network {
  const sent = new Set<string>();
  let disguises = 0;
  return {
    send(to, bytes) {
      const header = readHeader(bytes);
      if (header.type !== MessageType.REQUEST) return network.send(to, bytes);
      const id = `${header.sender}#${header.requestId}`;
      if (!sent.has(id)) {
        sent.add(id);
        return network.send(to, bytes);
      }
      const disguised = new Uint8Array(bytes);
      disguises += 1;
      writeHeader(disguised, { ...header, sender: 0x8000_0000 + replicaId * 0x10_0000 + disguises }, bytes.byteLength - HEADER_BYTES);
      network.send(to, disguised);
    },
  };
}
