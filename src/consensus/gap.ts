// Filling holes (docs/design.md §3, gap): first from the sequencer's ring (RETRANSMIT), then from peers
// (LOG_REQUEST/LOG_REPLY, which also ship logs to lagging and recovering replicas), and, when nobody can
// supply a slot of the current session, the leader decides it is a NO-OP. Followers never decide NO-OPs;
// they learn the leader's from COMMIT/HEARTBEAT notices and SYNC.
import { leaderOf } from '../mrtom/group.js';
import { MessageType, type Header } from '../mrtom/header.js';
import { encodeDatagram, encodeRetransmitBody, RETRANSMIT_SPAN_MAX } from '../mrtom/messages.js';
import type { LogEntry } from './log-entry.js';
import { appendInOrder, imposeNoop } from './log.js';
import { noteKnownSlot } from './normal.js';
import { encodePeerMessage, entryBytes, LOG_REPLY_BYTES_MAX, type LogReplyBody, type LogRequestBody } from './peer-messages.js';
import { isLeader, peersOf, type ReplicaState } from './state.js';
import type { ReplicaEffect } from './types.js';

/** Entries asked from a peer in one LOG_REQUEST. */
const LOG_REQUEST_SPAN_MAX = 4096;

export function peerHeader(state: ReplicaState) {
  return { group: state.options.group, view: state.vs.view, session: state.vs.session, sender: state.options.id };
}

/** Asks `to` for slots fromSlot..toSlot; above `sessionBase` only entries of our current session count. */
export function logRequest(state: ReplicaState, to: number, fromSlot: number, toSlot: number, sessionBase: number): ReplicaEffect {
  state.counters.logRequests += 1;
  const body: LogRequestBody = { fromSlot, toSlot: Math.min(toSlot, fromSlot + LOG_REQUEST_SPAN_MAX - 1), sessionBase };
  return { kind: 'send', to: { replica: to }, bytes: encodePeerMessage(MessageType.LOG_REQUEST, peerHeader(state), body) };
}

/** Normal-status gap handling on a tick. */
export function onGapTick(state: ReplicaState, nowMs: number): ReplicaEffect[] {
  const gap = state.gap;
  if (!gap || state.status !== 'normal') return [];
  if (gap.slot <= state.through) {
    state.gap = state.through < state.highestKnownSlot ? { ...gap, slot: state.through + 1, sinceMs: nowMs } : null;
    return [];
  }
  const { timing } = state.options;
  const openMs = nowMs - gap.sinceMs;
  const effects: ReplicaEffect[] = [];
  const inSession = gap.slot > state.vs.sessionBase;
  if (
    inSession &&
    state.vs.sequencerIncarnation !== 0 &&
    openMs >= timing.gapTimeoutMs &&
    nowMs - gap.askedSequencerMs >= timing.gapRequestIntervalMs
  ) {
    gap.askedSequencerMs = nowMs;
    effects.push(...retransmitRequests(state, gap.slot));
  }
  if ((openMs >= timing.gapPeerTimeoutMs || !inSession) && nowMs - gap.askedPeersMs >= timing.gapRequestIntervalMs) {
    gap.askedPeersMs = nowMs;
    // The leader asks everyone (it may be the one that lacks the slot); a follower asks the leader.
    const targets = isLeader(state) ? peersOf(state) : [leaderOf(state.options.replicaIds, state.vs.view)];
    for (const to of targets) effects.push(logRequest(state, to, gap.slot, state.highestKnownSlot, state.vs.sessionBase));
  }
  // The leader's tick never gets here with the session's NO-OP list full: it starts a new session (liveness.ts).
  if (inSession && isLeader(state) && openMs >= timing.gapNoopTimeoutMs) {
    // Gap agreement: nobody supplied the slot in time. The leader never NO-OPs a slot it holds.
    state.counters.noopsDecided += 1;
    state.gap = null;
    effects.push(...imposeNoop(state, gap.slot));
    state.ackDue = true;
  }
  return effects;
}

/** Missing seqs asked for one by one; beyond them, one RETRANSMIT asks for the rest as a range. */
export const RETRANSMIT_SINGLE_ASKS_MAX = 8;

/**
 * RETRANSMITs for the slots missing from `slot` on: one per missing seq, so that nothing this replica holds
 * (out of order, in `pending`) is sent again, and so the XDP plane can answer each in the kernel with one
 * frame (docs/xdp.md); after RETRANSMIT_SINGLE_ASKS_MAX of them, one range for whatever is still missing.
 */
function retransmitRequests(state: ReplicaState, slot: number): ReplicaEffect[] {
  const base = state.vs.sessionBase;
  const lastSeq = Math.max(slot, state.highestKnownSlot) - base;
  const effects: ReplicaEffect[] = [];
  for (let seq = slot - base; seq <= lastSeq; seq++) {
    if (state.pending.has(base + seq)) continue;
    if (effects.length === RETRANSMIT_SINGLE_ASKS_MAX) {
      effects.push(retransmitRequest(state, seq, Math.min(lastSeq, seq + RETRANSMIT_SPAN_MAX - 1)));
      break;
    }
    effects.push(retransmitRequest(state, seq, seq));
  }
  return effects;
}

function retransmitRequest(state: ReplicaState, fromSeq: number, toSeq: number): ReplicaEffect {
  state.counters.retransmitRequests += 1;
  const bytes = encodeDatagram(
    {
      type: MessageType.RETRANSMIT,
      group: state.options.group,
      session: state.vs.session,
      view: state.vs.view,
      seq: fromSeq,
      commit: 0,
      requestId: 0,
      sender: state.options.id,
      incarnation: state.vs.sequencerIncarnation,
    },
    encodeRetransmitBody({ fromSeq, toSeq }),
  );
  return { kind: 'send', to: { sequencer: state.vs.sequencerId }, bytes };
}

/** Serves entries this replica holds, contiguous from fromSlot, within one datagram. */
export function onLogRequest(state: ReplicaState, from: number, header: Header, request: LogRequestBody): ReplicaEffect[] {
  // Entries above the commit point are only meaningful within the same (view, session).
  if (header.view !== state.vs.view || header.session !== state.vs.session) return [];
  const entries: LogEntry[] = [];
  let bytes = 0;
  for (let slot = request.fromSlot; slot <= Math.min(request.toSlot, state.through); slot++) {
    const entry = state.log.get(slot);
    // Above the requester's session base, an entry of another session is a stale tail of ours that a
    // view change will discard (we have not installed that view yet): never ship it.
    if (!entry || (slot > request.sessionBase && entry.session !== header.session)) break;
    bytes += entryBytes(entry);
    if (entries.length > 0 && bytes > LOG_REPLY_BYTES_MAX) break;
    entries.push(entry);
  }
  const body: LogReplyBody = { entries, firstSlot: state.logStart, through: state.through };
  return [{ kind: 'send', to: { replica: from }, bytes: encodePeerMessage(MessageType.LOG_REPLY, peerHeader(state), body) }];
}

/** The store now holds the peer's state through appliedSlot: the log restarts right after it. */
export function onSnapshotInstalled(state: ReplicaState, appliedSlot: number, nowMs: number): ReplicaEffect[] {
  if (!state.snapshot) return [];
  state.snapshot = null;
  state.log.clear();
  state.pending.clear();
  state.applied = appliedSlot;
  state.through = appliedSlot;
  state.persistedThrough = appliedSlot;
  state.persistEpoch += 1; // The install replaced the stored log too.
  state.commit = Math.max(state.commit, appliedSlot);
  state.logStart = appliedSlot + 1;
  state.gap = null;
  state.ackDue = true; // The sequencer learns where this replica stands now.
  noteKnownSlot(state, state.highestKnownSlot, nowMs);
  return [];
}

/** Takes what a peer shipped: fills the log from through+1 on; NO-OPs shipped replace held requests. */
export function onLogReply(state: ReplicaState, from: number, header: Header, reply: LogReplyBody, nowMs: number): ReplicaEffect[] {
  if (header.view !== state.vs.view || header.session !== state.vs.session || state.snapshot) return [];
  if (reply.entries.length === 0 && reply.firstSlot > state.through + 1 && reply.through > state.through) {
    // The peer's log no longer reaches back to what we need: take its whole state instead.
    state.snapshot = { from, sinceMs: nowMs };
    return [{ kind: 'fetch-snapshot', from }];
  }
  const effects: ReplicaEffect[] = [];
  if (reply.through > state.highestKnownSlot && state.status === 'normal') state.highestKnownSlot = reply.through;
  for (const entry of reply.entries) {
    if (entry.slot === state.through + 1) {
      effects.push(...appendInOrder(state, entry));
    } else if (
      entry.noop &&
      entry.slot > state.applied &&
      entry.slot <= state.through &&
      entry.slot > state.vs.sessionBase &&
      entry.session === state.vs.session
    ) {
      effects.push(...imposeNoop(state, entry.slot));
    }
  }
  if (state.gap && state.gap.slot <= state.through) {
    state.gap =
      state.through < state.highestKnownSlot
        ? { slot: state.through + 1, sinceMs: nowMs, askedSequencerMs: Number.NEGATIVE_INFINITY, askedPeersMs: Number.NEGATIVE_INFINITY }
        : null;
  }
  return effects;
}
