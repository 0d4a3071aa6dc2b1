// The MRTOM sequencer as a pure, deterministic state machine (DESIGN.md §2): datagrams, bursts and ticks
// go in, datagrams to send come out. No sockets, timers or clocks live here — time is an input — so the
// userspace runtime, the simulator and the XDP agent's behaviour spec all run this same code.
import assert from 'node:assert/strict';
import { DecodeError, type Header, MessageType } from '../mrtom/header.js';
import { decodeDatagram, decodeRetransmitBody, type Datagram, type RetransmitBody } from '../mrtom/messages.js';
import { applyAck } from './acks.js';
import { createCounters, type DropReason, type SequencerCounters } from './counters.js';
import { encodeCommitNotice, encodeHeartbeat, stampOrdered, type Stamp } from './frames.js';
import { faultsToleratedOf } from './quorum.js';
import { resendOverdue, serveRetransmit } from './resend.js';
import { CopyRing } from './ring.js';

export interface SequencerOptions {
  group: number;
  /** The session the replica group assigned to this sequencer; it never serves another. */
  session: number;
  /** Replica ids in view order: the leader of view v is replicaIds[v % n]. */
  replicaIds: readonly number[];
  /** Stamped copies kept for retransmission before the oldest unacked one is dropped. */
  ringCapacity: number;
  /** How long a replica may stay behind a copy before the copy is resent to it. */
  retransmitIntervalMs: number;
  /** Idle time after which a HEARTBEAT announces the last stamped seq, so replicas detect tail loss. */
  heartbeatIntervalMs: number;
  /** Copies resent on timeout per tick, across all replicas, so a lagging replica cannot flood the link. */
  resendPerTickMax: number;
}

export type SequencerInput =
  /** `fromReplica`: the configured replica the source address belongs to, null if unknown. */
  | { kind: 'datagram'; fromReplica: number | null; bytes: Uint8Array; nowMs: number }
  | { kind: 'tick'; nowMs: number }
  /** The end of a burst of datagrams: announce commit if it advanced. */
  | { kind: 'flush'; nowMs: number };

export type SequencerEffect = { kind: 'send'; to: number; bytes: Uint8Array };

export interface SequencerState {
  readonly options: SequencerOptions;
  readonly f: number;
  /** Newest view any replica acked in; acks of older views are stale. */
  view: number;
  /** Last seq stamped in this session; seqs start at 1. */
  seqLast: number;
  commit: number;
  /** The commit last sent in a COMMIT notice. */
  commitAnnounced: number;
  stampedLastMs: number;
  heartbeatLastMs: number;
  /** Per replica: "I hold every seq <= through" in the current view. */
  readonly throughs: Map<number, number>;
  /** Per replica: when copies were last resent to it on timeout (one burst per retransmit interval). */
  readonly resentMs: Map<number, number>;
  readonly ring: CopyRing;
  /** Which replica the next tick's resend budget starts with, so one laggard cannot starve the others. */
  resendRotor: number;
  readonly counters: SequencerCounters;
}

const U32_MAX = 0xffff_ffff;

export function createSequencer(options: SequencerOptions): SequencerState {
  const { group, session, replicaIds } = options;
  assert.ok(Number.isInteger(group) && group >= 0 && group <= U32_MAX, `group must be a u32, got ${group}`);
  assert.ok(Number.isInteger(session) && session >= 1 && session <= U32_MAX, `session must be in 1..2^32-1, got ${session}`);
  assert.ok(replicaIds.length >= 1, 'at least one replica is required');
  assert.equal(new Set(replicaIds).size, replicaIds.length, 'replica ids must be unique');
  assert.ok(options.retransmitIntervalMs > 0, 'retransmitIntervalMs must be positive');
  assert.ok(options.heartbeatIntervalMs > 0, 'heartbeatIntervalMs must be positive');
  assert.ok(Number.isInteger(options.resendPerTickMax) && options.resendPerTickMax >= 1, 'resendPerTickMax must be >= 1');
  return {
    options: { ...options, replicaIds: [...replicaIds] },
    f: faultsToleratedOf(replicaIds.length),
    view: 0,
    seqLast: 0,
    commit: 0,
    commitAnnounced: 0,
    stampedLastMs: -Infinity,
    heartbeatLastMs: -Infinity,
    throughs: new Map(replicaIds.map((id) => [id, 0])),
    resentMs: new Map(replicaIds.map((id) => [id, -Infinity])),
    ring: new CopyRing(options.ringCapacity),
    resendRotor: 0,
    counters: createCounters(),
  };
}

export function stepSequencer(state: SequencerState, input: SequencerInput): SequencerEffect[] {
  switch (input.kind) {
    case 'datagram':
      return onDatagram(state, input.fromReplica, input.bytes, input.nowMs);
    case 'flush':
      return onFlush(state);
    case 'tick':
      return onTick(state, input.nowMs);
    default:
      return assertNever(input);
  }
}

function onDatagram(state: SequencerState, fromReplica: number | null, bytes: Uint8Array, nowMs: number): SequencerEffect[] {
  let datagram: Datagram;
  try {
    datagram = decodeDatagram(bytes);
  } catch (err) {
    if (err instanceof DecodeError) return drop(state, 'malformed');
    throw err;
  }
  const { header } = datagram;
  if (header.group !== state.options.group) return drop(state, 'wrong-group');
  if (fromReplica === null || !state.throughs.has(fromReplica)) return drop(state, 'unknown-source');
  switch (header.type) {
    case MessageType.REQUEST:
      // Session 0 marks an unstamped REQUEST; anything else was already stamped once and must not be again.
      if (header.session !== 0) return drop(state, 'wrong-session');
      return stampRequest(state, bytes, header, nowMs);
    case MessageType.ACK:
    case MessageType.RETRANSMIT:
      if (header.sender !== fromReplica) return drop(state, 'sender-mismatch');
      if (header.session !== state.options.session) return drop(state, 'wrong-session');
      return header.type === MessageType.ACK ? onAck(state, fromReplica, datagram) : onRetransmit(state, fromReplica, datagram);
    case MessageType.ORDERED:
    case MessageType.COMMIT:
    case MessageType.HEARTBEAT:
      return drop(state, 'unexpected-type');
    default:
      return assertNever(header.type);
  }
}

function stampRequest(state: SequencerState, request: Uint8Array, header: Header, nowMs: number): SequencerEffect[] {
  const seq = state.seqLast + 1;
  const ordered = stampOrdered(request, header, stampOf(state, seq));
  state.seqLast = seq;
  state.stampedLastMs = nowMs;
  // Copies every replica acked are not drops: free them first, so only an unacked eviction is counted.
  if (state.ring.size === state.ring.capacity) state.ring.releaseThrough(throughMin(state));
  if (state.ring.push(seq, ordered, nowMs) !== null) state.counters.ringDrops += 1;
  state.counters.stamped += 1;
  state.counters.ordersSent += state.options.replicaIds.length;
  return fanOut(state, ordered);
}

function onAck(state: SequencerState, from: number, datagram: Datagram): SequencerEffect[] {
  const reason = applyAck(state, from, datagram.header, datagram.body);
  return reason === null ? [] : drop(state, reason);
}

function onRetransmit(state: SequencerState, from: number, datagram: Datagram): SequencerEffect[] {
  let range: RetransmitBody;
  try {
    range = decodeRetransmitBody(datagram.body);
  } catch (err) {
    if (err instanceof DecodeError) return drop(state, 'malformed-body');
    throw err;
  }
  return serveRetransmit(state, from, range);
}

/** Bursts are coalesced: however many acks advanced commit, one COMMIT notice goes out per flush. */
function onFlush(state: SequencerState): SequencerEffect[] {
  if (state.commit <= state.commitAnnounced) return [];
  state.commitAnnounced = state.commit;
  state.counters.commitNotices += 1;
  return fanOut(state, encodeCommitNotice(stampOf(state, state.seqLast)));
}

function onTick(state: SequencerState, nowMs: number): SequencerEffect[] {
  state.ring.releaseThrough(throughMin(state));
  const effects = resendOverdue(state, nowMs);
  const announcedLastMs = Math.max(state.stampedLastMs, state.heartbeatLastMs);
  if (nowMs - announcedLastMs >= state.options.heartbeatIntervalMs) {
    state.heartbeatLastMs = nowMs;
    state.counters.heartbeats += 1;
    effects.push(...fanOut(state, encodeHeartbeat(stampOf(state, state.seqLast))));
  }
  return effects;
}

function stampOf(state: SequencerState, seq: number): Stamp {
  return { group: state.options.group, session: state.options.session, view: state.view, seq, commit: state.commit };
}

function fanOut(state: SequencerState, bytes: Uint8Array): SequencerEffect[] {
  return state.options.replicaIds.map((to) => ({ kind: 'send', to, bytes }));
}

/** Every copy at or below this seq is held by every replica and can be freed. */
function throughMin(state: SequencerState): number {
  return Math.min(...state.throughs.values());
}

function drop(state: SequencerState, reason: DropReason): SequencerEffect[] {
  state.counters.dropped[reason] += 1;
  return [];
}

function assertNever(value: never): never {
  throw new Error(`unhandled case ${JSON.stringify(value)}`);
}
