// The MRTOM sequencer as a pure, deterministic state machine (docs/design.md §2): datagrams, bursts and ticks
// go in, datagrams to send come out. No sockets, timers or clocks live here — time is an input — so the
// userspace runtime, the simulator and the XDP agent's behaviour spec all run this same code.
//
// A sequencer keeps no durable state and only serves a session it was given (docs/design.md §3): it starts
// with none (session 0) and adopts (session, view) from the leader's SESSION_START. The view is fixed for
// the session's life, because every view change also starts a new session.
import assert from 'node:assert/strict';
import { DecodeError, type Header, MessageType } from '../mrtom/header.js';
import { decodeDatagram, decodeRetransmitBody, type Datagram, type RetransmitBody } from '../mrtom/messages.js';
import { applyAck } from './acks.js';
import { createCounters, type DropReason, type SequencerCounters } from './counters.js';
import { encodeCommitNotice, encodeHeartbeat, stampOrdered, type Stamp } from './frames.js';
import { faultsToleratedOf, leaderOf } from './quorum.js';
import { resendOverdue, serveRetransmit } from './resend.js';
import { CopyRing } from './ring.js';

export interface SequencerOptions {
  group: number;
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
  /**
   * Random per process start, never 0, stamped into everything this sequencer sends. A restarted process
   * may be given the same session again (a leader's SESSION_START still in flight); replicas only take
   * the stamps of the one incarnation their leader bound the session to, so the two never mix.
   */
  incarnation: number;
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
  /** The session being served; 0 until a leader's SESSION_START gives one. */
  session: number;
  /** The view the session was started in; ACKs and RETRANSMITs of any other view are stale. */
  view: number;
  /** Last seq stamped in this session; seqs start at 1. */
  seqLast: number;
  commit: number;
  /** The commit last sent in a COMMIT notice. */
  commitAnnounced: number;
  /** The leader's NO-OP list last sent in a COMMIT notice. */
  leaderNoopsAnnounced: readonly number[];
  stampedLastMs: number;
  heartbeatLastMs: number;
  /** Per replica: "I hold every seq <= through" in the current session. */
  readonly throughs: Map<number, number>;
  /** Per replica: the seqs <= its through it holds as NO-OPs (ascending), from its latest ACK. */
  readonly noops: Map<number, readonly number[]>;
  /** Per replica: when copies were last resent to it on timeout (one burst per retransmit interval). */
  readonly resentMs: Map<number, number>;
  readonly ring: CopyRing;
  /** Which replica the next tick's resend budget starts with, so one laggard cannot starve the others. */
  resendRotor: number;
  readonly counters: SequencerCounters;
}

const U32_MAX = 0xffff_ffff;

export function createSequencer(options: SequencerOptions): SequencerState {
  const { group, replicaIds } = options;
  assert.ok(Number.isInteger(group) && group >= 0 && group <= U32_MAX, `group must be a u32, got ${group}`);
  assert.ok(replicaIds.length >= 1, 'at least one replica is required');
  assert.equal(new Set(replicaIds).size, replicaIds.length, 'replica ids must be unique');
  assert.ok(options.retransmitIntervalMs > 0, 'retransmitIntervalMs must be positive');
  assert.ok(options.heartbeatIntervalMs > 0, 'heartbeatIntervalMs must be positive');
  assert.ok(Number.isInteger(options.resendPerTickMax) && options.resendPerTickMax >= 1, 'resendPerTickMax must be >= 1');
  assert.ok(
    Number.isInteger(options.incarnation) && options.incarnation >= 1 && options.incarnation <= U32_MAX,
    'incarnation must be a nonzero u32',
  );
  return {
    options: { ...options, replicaIds: [...replicaIds] },
    f: faultsToleratedOf(replicaIds.length),
    session: 0,
    view: 0,
    seqLast: 0,
    commit: 0,
    commitAnnounced: 0,
    leaderNoopsAnnounced: [],
    stampedLastMs: -Infinity,
    heartbeatLastMs: -Infinity,
    throughs: new Map(replicaIds.map((id) => [id, 0])),
    noops: new Map(),
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
      if (state.session === 0) return drop(state, 'no-session');
      // Session 0 marks an unstamped REQUEST; anything else was already stamped once and must not be again.
      if (header.session !== 0) return drop(state, 'wrong-session');
      return stampRequest(state, bytes, header, nowMs);
    case MessageType.ACK:
    case MessageType.RETRANSMIT:
      if (header.sender !== fromReplica) return drop(state, 'sender-mismatch');
      if (state.session === 0) return drop(state, 'no-session');
      if (header.session !== state.session) return drop(state, 'wrong-session');
      if (header.view !== state.view) return drop(state, 'stale-view');
      // A replica bound to another incarnation of this session holds that incarnation's stamps, not ours.
      if (header.incarnation !== state.options.incarnation) return drop(state, 'stale-incarnation');
      return header.type === MessageType.ACK ? onAck(state, fromReplica, datagram, nowMs) : onRetransmit(state, fromReplica, datagram);
    case MessageType.SESSION_START:
      if (header.sender !== fromReplica) return drop(state, 'sender-mismatch');
      return onSessionStart(state, datagram, nowMs);
    case MessageType.ORDERED:
    case MessageType.COMMIT:
    case MessageType.HEARTBEAT:
    case MessageType.GAP_REQUEST:
    case MessageType.GAP_REPLY:
    case MessageType.VIEW_CHANGE_REQUEST:
    case MessageType.VIEW_CHANGE:
    case MessageType.START_VIEW:
    case MessageType.START_VIEW_REPLY:
    case MessageType.LOG_REQUEST:
    case MessageType.LOG_REPLY:
    case MessageType.SYNC:
    case MessageType.RECOVERY:
    case MessageType.RECOVERY_REPLY:
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

function onAck(state: SequencerState, from: number, datagram: Datagram, nowMs: number): SequencerEffect[] {
  const reason = applyAck(state, from, datagram.header, datagram.body, nowMs);
  return reason === null ? [] : drop(state, reason);
}

/**
 * A newer session replaces everything: seqs restart at 1 and no progress of an older session counts. The
 * same (session, view) again means the leader has not heard a HEARTBEAT yet, so one is sent right away.
 */
function onSessionStart(state: SequencerState, datagram: Datagram, nowMs: number): SequencerEffect[] {
  const { header } = datagram;
  if (datagram.body.byteLength !== 0) return drop(state, 'malformed-body');
  if (header.session > state.session) {
    adoptSession(state, header.session, header.view);
    state.counters.sessionStarts += 1;
  } else if (state.session === 0 || header.session !== state.session || header.view !== state.view) {
    // Session 0 ("no session") is never adopted nor re-announced.
    return drop(state, 'stale-session');
  }
  return heartbeat(state, nowMs);
}

function adoptSession(state: SequencerState, session: number, view: number): void {
  assert.ok(session > state.session, `session ${session} must be newer than ${state.session}`);
  state.session = session;
  state.view = view;
  state.seqLast = 0;
  state.commit = 0;
  state.commitAnnounced = 0;
  state.leaderNoopsAnnounced = [];
  state.stampedLastMs = -Infinity;
  state.ring.clear();
  state.noops.clear();
  for (const id of state.options.replicaIds) {
    state.throughs.set(id, 0);
    state.resentMs.set(id, -Infinity);
  }
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

/**
 * Bursts are coalesced: however many acks advanced commit, one COMMIT notice goes out per flush. A change
 * of the leader's NO-OP list alone also warrants a notice, so replicas learn the leader's gap decisions
 * without waiting for the next commit or heartbeat.
 */
function onFlush(state: SequencerState): SequencerEffect[] {
  const leaderNoops = leaderNoopsOf(state);
  if (state.commit <= state.commitAnnounced && isSameList(leaderNoops, state.leaderNoopsAnnounced)) return [];
  assert.ok(state.session !== 0, 'nothing can commit or be NO-OPed without a session');
  state.commitAnnounced = state.commit;
  state.leaderNoopsAnnounced = leaderNoops;
  state.counters.commitNotices += 1;
  return fanOut(state, encodeCommitNotice(stampOf(state, state.seqLast), leaderNoops));
}

function onTick(state: SequencerState, nowMs: number): SequencerEffect[] {
  // Without a session there is nothing to resend and nothing to announce.
  if (state.session === 0) return [];
  state.ring.releaseThrough(throughMin(state));
  const effects = resendOverdue(state, nowMs);
  const announcedLastMs = Math.max(state.stampedLastMs, state.heartbeatLastMs);
  if (nowMs - announcedLastMs >= state.options.heartbeatIntervalMs) effects.push(...heartbeat(state, nowMs));
  return effects;
}

function heartbeat(state: SequencerState, nowMs: number): SequencerEffect[] {
  assert.ok(state.session !== 0, 'a sequencer without a session sends no HEARTBEAT');
  state.heartbeatLastMs = nowMs;
  state.counters.heartbeats += 1;
  return fanOut(state, encodeHeartbeat(stampOf(state, state.seqLast), leaderNoopsOf(state)));
}

function stampOf(state: SequencerState, seq: number): Stamp {
  return {
    group: state.options.group,
    session: state.session,
    view: state.view,
    seq,
    commit: state.commit,
    incarnation: state.options.incarnation,
  };
}

/** The leader's latest NO-OP list: the gap decisions every replica must follow (docs/design.md §3). */
function leaderNoopsOf(state: SequencerState): readonly number[] {
  return state.noops.get(leaderOf(state.options.replicaIds, state.view)) ?? [];
}

function isSameList(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((seq, i) => seq === b[i]);
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
