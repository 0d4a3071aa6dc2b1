// The fast path (docs/design.md §3, normal case): ORDERED from the session's sequencer is appended in seq
// order and acknowledged cumulatively once durable; COMMIT and HEARTBEAT notices say what a quorum holds
// and relay the leader's NO-OPs; committed slots are applied in order.
import { MessageType, type Header } from '../mrtom/header.js';
import { encodeDatagram, encodeNoopsBody } from '../mrtom/messages.js';
import type { LogEntry } from './log-entry.js';
import { appendInOrder, applyCommitted, imposeNoop } from './log.js';
import { drop, isLeader, type ReplicaState } from './state.js';
import type { ReplicaEffect } from './types.js';

export function onOrdered(state: ReplicaState, header: Header, body: Uint8Array, nowMs: number): ReplicaEffect[] {
  heardSequencer(state, nowMs);
  // The install replaces the log; what arrives meanwhile is fetched again (gap) once it is done.
  if (state.snapshot) return drop(state, 'installing-snapshot');
  const slot = state.vs.sessionBase + header.seq;
  noteKnownSlot(state, slot, nowMs);
  if (slot <= state.through || state.pending.has(slot)) {
    // The sequencer resent it because it has not seen our ACK: answer again.
    state.counters.duplicates += 1;
    state.ackDue = true;
    return [];
  }
  if (slot - state.through > state.options.pendingEntriesMax) return drop(state, 'too-far-ahead');
  const entry: LogEntry = {
    slot,
    session: header.session,
    seq: header.seq,
    view: header.view,
    clientId: header.sender,
    requestId: header.requestId,
    // The datagram buffer may be reused by the runtime; the log keeps its own copy.
    body: Uint8Array.prototype.slice.call(body),
    noop: false,
  };
  if (slot !== state.through + 1) {
    state.pending.set(slot, entry);
    return [];
  }
  return appendInOrder(state, entry);
}

/** COMMIT and HEARTBEAT: header.commit is a seq the leader and f others hold in agreement; the body
 *  lists the leader's NO-OPs, which must be in place before anything up to that seq is applied. */
export function onNotice(state: ReplicaState, header: Header, noops: readonly number[], nowMs: number): ReplicaEffect[] {
  heardSequencer(state, nowMs);
  const base = state.vs.sessionBase;
  noteKnownSlot(state, base + header.seq, nowMs);
  const effects: ReplicaEffect[] = [];
  for (const seq of noops) effects.push(...imposeNoop(state, base + seq));
  // Commit 0 says nothing of this session is committed yet — not that the merged log below it is: that
  // takes f START_VIEW_REPLYs, or any commit ≥ 1 here (acking seq 1 needs the whole merged log).
  return header.commit === 0 ? effects : [...effects, ...learnCommit(state, base + header.commit)];
}

export function learnCommit(state: ReplicaState, commit: number): ReplicaEffect[] {
  if (commit > state.commit) state.commit = commit;
  return applyCommitted(state);
}

export function heardSequencer(state: ReplicaState, nowMs: number): void {
  state.lastHeardSequencerMs = nowMs;
  // Any word from the sequencer in the new session answers the leader's SESSION_START.
  state.sessionStartSentMs = null;
}

export function noteKnownSlot(state: ReplicaState, slot: number, nowMs: number): void {
  if (slot > state.highestKnownSlot) state.highestKnownSlot = slot;
  if (state.through < state.highestKnownSlot && state.gap === null) {
    state.gap = {
      slot: state.through + 1,
      sinceMs: nowMs,
      askedSequencerMs: Number.NEGATIVE_INFINITY,
      askedPeersMs: Number.NEGATIVE_INFINITY,
    };
  }
}

export function onPersisted(state: ReplicaState, throughSlot: number, epoch: number): ReplicaEffect[] {
  if (epoch !== state.persistEpoch) return [];
  const durable = Math.min(throughSlot, state.through);
  if (durable > state.persistedThrough) {
    state.persistedThrough = durable;
    state.ackDue = true;
  }
  return [];
}

/** One cumulative ACK per burst: the durable prefix of the current session and its NO-OPs. */
export function onFlush(state: ReplicaState): ReplicaEffect[] {
  if (!state.ackDue || state.status !== 'normal' || state.vs.session === 0 || state.vs.sequencerIncarnation === 0) return [];
  // An install is clearing the log on disk: nothing it held may be claimed until the snapshot stands.
  if (state.snapshot) return [];
  const throughSeq = state.persistedThrough - state.vs.sessionBase;
  if (throughSeq < 0) return []; // Still fetching the merged log below the session.
  state.ackDue = false;
  const noops = state.sessionNoops.filter((seq) => seq <= throughSeq);
  const bytes = encodeDatagram(
    {
      type: MessageType.ACK,
      group: state.options.group,
      session: state.vs.session,
      view: state.vs.view,
      seq: throughSeq,
      commit: Math.max(0, state.commit - state.vs.sessionBase),
      requestId: 0,
      sender: state.options.id,
      incarnation: state.vs.sequencerIncarnation,
    },
    encodeNoopsBody({ noops }),
  );
  return [{ kind: 'send', to: { sequencer: state.vs.sequencerId }, bytes }];
}

/** The leader tells the session's sequencer to serve it (resent until the sequencer is heard). */
export function sessionStart(state: ReplicaState, nowMs: number): ReplicaEffect[] {
  if (!isLeader(state)) return [];
  state.sessionStartSentMs = nowMs;
  const bytes = encodeDatagram({
    type: MessageType.SESSION_START,
    group: state.options.group,
    session: state.vs.session,
    view: state.vs.view,
    seq: 0,
    commit: 0,
    requestId: 0,
    sender: state.options.id,
  });
  return [{ kind: 'send', to: { sequencer: state.vs.sequencerId }, bytes }];
}
