// The MRTOM-Paxos replica as a pure state machine (DESIGN.md §3): datagrams, persistence confirmations
// and ticks in; effects out. No sockets, timers, clocks or disk here: the runtime (src/runtime) performs
// the effects in order — persist, then send, then apply — and the simulator performs the very same ones.
//
// This is the normal case: ORDERED arrives in seq order → append → persist → cumulative ACK; COMMIT
// notices (and commits piggybacked on ORDERED) tell what a quorum holds; committed entries are applied
// in seq order. Missing seqs are asked from the sequencer's ring. View, session and status are part of
// the state and of every message so the slow path (gap agreement, view and session change) extends
// this module rather than replacing it.
import { MessageType, DecodeError, type Header } from '../mrtom/header.js';
import { decodeDatagram, encodeAckBody, encodeDatagram, encodeRetransmitBody, RETRANSMIT_SPAN_MAX } from '../mrtom/messages.js';
import type { LogEntry } from '../store/log-entry.js';
import { assertNever } from './assert.js';

export type ReplicaStatus = 'normal' | 'gap-agreement' | 'view-change' | 'session-change' | 'recovering';

export interface ReplicaOptions {
  id: number;
  group: number;
  replicaIds: readonly number[];
  /** How long a gap may stay open before asking the sequencer to retransmit. Longer than the sequencer's
   *  own retransmit interval, so the fast path repairs most losses before the replica asks. */
  gapTimeoutMs: number;
  /** Minimum spacing of RETRANSMIT requests while a gap stays open. */
  retransmitRequestIntervalMs: number;
  /** Out-of-order ORDERED kept while waiting for a gap to fill; anything further ahead is dropped. */
  pendingEntriesMax: number;
}

export interface ReplicaCounters {
  appended: number;
  duplicates: number;
  retransmitRequests: number;
  dropped: Record<ReplicaDropReason, number>;
}

export type ReplicaDropReason = DecodeError['reason'] | 'group' | 'old-session' | 'future-session' | 'unexpected-type' | 'too-far-ahead';

export interface ReplicaState {
  readonly options: ReplicaOptions;
  view: number;
  session: number;
  status: ReplicaStatus;
  /** Highest seq such that the log holds every seq ≤ it (appended, maybe not yet durable). */
  through: number;
  /** Highest seq confirmed durable by the runtime: what this replica acks. */
  persistedThrough: number;
  /** Highest seq known committed in this session. */
  commit: number;
  /** Highest seq handed to the state machine. */
  applied: number;
  /** Highest seq the sequencer is known to have stamped (ORDERED, HEARTBEAT, COMMIT). */
  highestKnownSeq: number;
  /** Entries above `applied` that are in the log. */
  readonly log: Map<number, LogEntry>;
  /** Entries above `through + 1` waiting for the gap before them to fill. */
  readonly pending: Map<number, LogEntry>;
  gapSinceMs: number | null;
  lastRetransmitRequestMs: number;
  ackDue: boolean;
  readonly counters: ReplicaCounters;
}

export type ReplicaInput =
  | { kind: 'datagram'; bytes: Uint8Array; nowMs: number }
  /** The runtime made every entry with seq ≤ through durable (per the durability mode). */
  | { kind: 'persisted'; through: number }
  /** End of a burst of inputs: send the coalesced ACK, if one is due. */
  | { kind: 'flush' }
  | { kind: 'tick'; nowMs: number };

export type ReplicaEffect =
  | { kind: 'persist'; entries: LogEntry[] }
  | { kind: 'send'; to: 'sequencer'; bytes: Uint8Array }
  | { kind: 'apply'; entries: LogEntry[] };

/** Where a replica restarts from: what its store holds. */
export interface ReplicaRestorePoint {
  view: number;
  session: number;
  appliedSeq: number;
  /** Durable log entries above appliedSeq, ascending. */
  log: readonly LogEntry[];
}

export function createReplica(options: ReplicaOptions, restore: ReplicaRestorePoint): ReplicaState {
  const state: ReplicaState = {
    options,
    view: restore.view,
    session: restore.session,
    status: 'normal',
    through: restore.appliedSeq,
    persistedThrough: restore.appliedSeq,
    commit: restore.appliedSeq,
    applied: restore.appliedSeq,
    highestKnownSeq: restore.appliedSeq,
    log: new Map(),
    pending: new Map(),
    gapSinceMs: null,
    lastRetransmitRequestMs: Number.NEGATIVE_INFINITY,
    // Announce where we are on the first flush, so a restarted replica gets its gap retransmitted.
    ackDue: true,
    counters: { appended: 0, duplicates: 0, retransmitRequests: 0, dropped: {} as Record<ReplicaDropReason, number> },
  };
  for (const entry of restore.log) {
    if (entry.session !== state.session || entry.seq !== state.through + 1) break;
    state.log.set(entry.seq, entry);
    state.through = entry.seq;
  }
  state.persistedThrough = state.through;
  return state;
}

export function leaderOf(state: ReplicaState): number {
  const ids = state.options.replicaIds;
  const leader = ids[state.view % ids.length];
  if (leader === undefined) throw new Error('replicaIds is empty');
  return leader;
}

export function isLeader(state: ReplicaState): boolean {
  return leaderOf(state) === state.options.id;
}

/** True when the replica holds and has applied everything it knows to be committed. */
export function isCaughtUp(state: ReplicaState): boolean {
  return state.status === 'normal' && state.applied >= state.commit && state.through >= state.highestKnownSeq;
}

export function stepReplica(state: ReplicaState, input: ReplicaInput): ReplicaEffect[] {
  switch (input.kind) {
    case 'datagram':
      return onDatagram(state, input.bytes, input.nowMs);
    case 'persisted':
      return onPersisted(state, input.through);
    case 'flush':
      return onFlush(state);
    case 'tick':
      return onTick(state, input.nowMs);
    default:
      return assertNever(input);
  }
}

function drop(state: ReplicaState, reason: ReplicaDropReason): ReplicaEffect[] {
  state.counters.dropped[reason] = (state.counters.dropped[reason] ?? 0) + 1;
  return [];
}

function onDatagram(state: ReplicaState, bytes: Uint8Array, nowMs: number): ReplicaEffect[] {
  let header: Header;
  let body: Uint8Array;
  try {
    ({ header, body } = decodeDatagram(bytes));
  } catch (err) {
    if (err instanceof DecodeError) return drop(state, err.reason);
    throw err;
  }
  if (header.group !== state.options.group) return drop(state, 'group');
  if (header.session < state.session) return drop(state, 'old-session');
  // A newer session means the sequencer was replaced; joining it is the session-change slow path.
  if (header.session > state.session) return drop(state, 'future-session');
  switch (header.type) {
    case MessageType.ORDERED:
      return onOrdered(state, header, body, nowMs);
    case MessageType.COMMIT: // seq carries the last stamped seq, which also reveals a lost tail
      return learnProgress(state, header.commit, header.seq, nowMs);
    case MessageType.HEARTBEAT:
      return learnProgress(state, header.commit, header.seq, nowMs);
    default:
      return drop(state, 'unexpected-type');
  }
}

function onOrdered(state: ReplicaState, header: Header, body: Uint8Array, nowMs: number): ReplicaEffect[] {
  const seq = header.seq;
  if (seq <= state.through || state.pending.has(seq)) {
    // The sequencer resent it because it has not seen our ACK: answer again.
    state.counters.duplicates += 1;
    state.ackDue = true;
    return learnProgress(state, header.commit, seq, nowMs);
  }
  if (seq - state.through > state.options.pendingEntriesMax) {
    drop(state, 'too-far-ahead');
    return learnProgress(state, header.commit, seq, nowMs);
  }
  const entry: LogEntry = {
    session: header.session,
    seq,
    view: state.view,
    clientId: header.sender,
    requestId: header.requestId,
    // The datagram buffer may be reused by the runtime; the log keeps its own copy.
    body: Uint8Array.prototype.slice.call(body),
    noop: false,
  };
  const effects: ReplicaEffect[] = [];
  if (seq === state.through + 1) {
    const appended = appendInOrder(state, entry);
    effects.push({ kind: 'persist', entries: appended });
  } else {
    state.pending.set(seq, entry);
  }
  effects.push(...learnProgress(state, header.commit, seq, nowMs));
  return effects;
}

/** Appends `first` and every pending entry that now follows it without a gap. */
function appendInOrder(state: ReplicaState, first: LogEntry): LogEntry[] {
  const appended = [first];
  state.log.set(first.seq, first);
  state.through = first.seq;
  for (let next = state.pending.get(state.through + 1); next; next = state.pending.get(state.through + 1)) {
    state.pending.delete(next.seq);
    state.log.set(next.seq, next);
    state.through = next.seq;
    appended.push(next);
  }
  state.counters.appended += appended.length;
  return appended;
}

/** Records what the sequencer reported (commit point, highest stamped seq) and applies what it allows. */
function learnProgress(state: ReplicaState, commit: number, knownSeq: number, nowMs: number): ReplicaEffect[] {
  if (commit > state.commit) state.commit = commit;
  if (knownSeq > state.highestKnownSeq) state.highestKnownSeq = knownSeq;
  if (state.commit > state.highestKnownSeq) state.highestKnownSeq = state.commit;
  if (state.through < state.highestKnownSeq) {
    state.gapSinceMs ??= nowMs;
  } else {
    state.gapSinceMs = null;
  }
  return applyCommitted(state);
}

function applyCommitted(state: ReplicaState): ReplicaEffect[] {
  const target = Math.min(state.commit, state.through);
  if (target <= state.applied) return [];
  const entries: LogEntry[] = [];
  for (let seq = state.applied + 1; seq <= target; seq++) {
    const entry = state.log.get(seq);
    if (!entry) throw new Error(`log has no entry for seq ${seq} ≤ through ${state.through}`);
    entries.push(entry);
    state.log.delete(seq);
  }
  state.applied = target;
  return [{ kind: 'apply', entries }];
}

function onPersisted(state: ReplicaState, through: number): ReplicaEffect[] {
  if (through > state.through) throw new Error(`persisted ${through} beyond through ${state.through}`);
  if (through > state.persistedThrough) {
    state.persistedThrough = through;
    state.ackDue = true;
  }
  return [];
}

function onFlush(state: ReplicaState): ReplicaEffect[] {
  if (!state.ackDue) return [];
  state.ackDue = false;
  return [{ kind: 'send', to: 'sequencer', bytes: encodeAck(state) }];
}

function encodeAck(state: ReplicaState): Uint8Array {
  return encodeDatagram(
    {
      type: MessageType.ACK,
      group: state.options.group,
      session: state.session,
      view: state.view,
      seq: state.persistedThrough,
      commit: state.commit,
      requestId: 0,
      sender: state.options.id,
    },
    encodeAckBody({ noops: [] }),
  );
}

function onTick(state: ReplicaState, nowMs: number): ReplicaEffect[] {
  const gapOpenMs = state.gapSinceMs === null ? 0 : nowMs - state.gapSinceMs;
  if (gapOpenMs < state.options.gapTimeoutMs) return [];
  if (nowMs - state.lastRetransmitRequestMs < state.options.retransmitRequestIntervalMs) return [];
  state.lastRetransmitRequestMs = nowMs;
  state.counters.retransmitRequests += 1;
  const fromSeq = state.through + 1;
  const toSeq = Math.min(state.highestKnownSeq, fromSeq + RETRANSMIT_SPAN_MAX - 1);
  const bytes = encodeDatagram(
    {
      type: MessageType.RETRANSMIT,
      group: state.options.group,
      session: state.session,
      view: state.view,
      seq: fromSeq,
      commit: state.commit,
      requestId: 0,
      sender: state.options.id,
    },
    encodeRetransmitBody({ fromSeq, toSeq }),
  );
  // Re-announce our position too, so the sequencer's own timer resends whatever this range misses.
  state.ackDue = true;
  return [{ kind: 'send', to: 'sequencer', bytes }, ...onFlush(state)];
}
