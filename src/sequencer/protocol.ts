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
import type { DropReason } from './counters.js';
import { encodeCommitNotice, encodeHeartbeat, stampOrdered, type Stamp } from './frames.js';
import { leaderOf } from '../mrtom/group.js';
import { assertNever } from '../lib/assert-never.js';
import { resendOverdue, serveRetransmit } from './resend.js';
import type { SequencerEffect, SequencerInput, SequencerState } from './state.js';

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
      if (bytes.byteLength > state.options.datagramBytesMax) return drop(state, 'oversized');
      if (state.options.kernelStamps === true) return drop(state, 'unstampable');
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
    case MessageType.VIEW_CHANGE_REQUEST:
    case MessageType.VIEW_CHANGE:
    case MessageType.START_VIEW:
    case MessageType.START_VIEW_REPLY:
    case MessageType.LOG_REQUEST:
    case MessageType.LOG_REPLY:
    case MessageType.SYNC:
    case MessageType.RECOVERY:
    case MessageType.RECOVERY_REPLY:
    case MessageType.PRE_VOTE:
    case MessageType.PRE_VOTE_REPLY:
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
  state.resendsUnanswered.clear();
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
  return state.options.replicaIds.map((to) => ({ kind: 'send', to, bytes, fanOut: true }));
}

/** Every copy at or below this seq is held by every replica and can be freed. */
function throughMin(state: SequencerState): number {
  return Math.min(...state.throughs.values());
}

function drop(state: SequencerState, reason: DropReason): SequencerEffect[] {
  state.counters.dropped[reason] += 1;
  return [];
}
