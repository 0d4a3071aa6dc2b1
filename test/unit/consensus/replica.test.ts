// Proves the replica state machine's rules one input at a time: append in seq order and ACK only what is
// durable; apply only what is committed, with the leader's NO-OPs in place; ask the sequencer, then peers,
// for a gap, and only the leader turns an unfillable slot into a NO-OP; a view change persists its promise
// before voting, and a quorum of votes makes the new leader start the view and its session.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createReplica, stepReplica, type ReplicaState } from '../../../src/consensus/replica.js';
import type { ReplicaEffect } from '../../../src/consensus/types.js';
import { PROTOCOL_TIMING } from '../../../src/runtime/timing.js';
import { MessageType, type Header } from '../../../src/mrtom/header.js';
import {
  decodeDatagram,
  decodeNoopsBody,
  decodeRetransmitBody,
  encodeDatagram,
  encodeNoopsBody,
  NOOPS_PER_SESSION_MAX,
} from '../../../src/mrtom/messages.js';
import { encodePeerMessage } from '../../../src/consensus/peer-messages.js';

const GROUP = 7;
const SEQUENCER = { sequencer: 1 };
const INCARNATION = 77;

function replica(id: number, session = 1): ReplicaState {
  return createReplica(
    {
      id,
      group: GROUP,
      replicaIds: [1, 2, 3],
      sequencerIds: [1, 2],
      durability: 'fsync',
      timing: PROTOCOL_TIMING,
      logRetainEntries: 100,
      pendingEntriesMax: 100,
      nonce: 1,
    },
    {
      viewState:
        session === 0
          ? null
          : {
              view: 0,
              session,
              sequencerId: 1,
              sequencerIncarnation: INCARNATION,
              sessionBase: 0,
              lastNormalView: 0,
              lastNormalSession: session,
            },
      appliedSlot: 0,
      log: [],
      nowMs: 0,
      stateLost: false,
    },
  );
}

function fromSequencer(type: MessageType, fields: Partial<Header>, body?: Uint8Array): Uint8Array {
  return encodeDatagram(
    { type, group: GROUP, session: 1, view: 0, seq: 0, commit: 0, requestId: 0, sender: 0, incarnation: INCARNATION, ...fields },
    body,
  );
}

const ordered = (seq: number): Uint8Array => fromSequencer(MessageType.ORDERED, { seq, requestId: seq, sender: 99 }, new Uint8Array([seq]));
const commitNotice = (commit: number, noops: number[] = [], seq = commit): Uint8Array =>
  fromSequencer(MessageType.COMMIT, { seq, commit }, encodeNoopsBody({ noops }));

function deliver(
  state: ReplicaState,
  bytes: Uint8Array,
  nowMs = 0,
  from: { sequencer: number } | { replica: number } = SEQUENCER,
): ReplicaEffect[] {
  return stepReplica(state, { kind: 'datagram', from, bytes, nowMs });
}

const kinds = (effects: ReplicaEffect[]): string[] =>
  effects.map((e) => (e.kind === 'send' ? `send:${MessageType[decodeDatagram(e.bytes).header.type]}` : e.kind));
const applied = (effects: ReplicaEffect[]): Array<[number, boolean]> =>
  effects.flatMap((e) => (e.kind === 'apply' ? e.entries.map((x) => [x.slot, x.noop] as [number, boolean]) : []));
const sent = (effects: ReplicaEffect[], type: MessageType) =>
  effects.flatMap((e) =>
    e.kind === 'send' && decodeDatagram(e.bytes).header.type === type ? [{ to: e.to, bytes: e.bytes, ...decodeDatagram(e.bytes) }] : [],
  );

describe('normal case', () => {
  it('appends in order and acks only the durable prefix, once per flush', () => {
    const state = replica(2);
    expect(kinds(deliver(state, ordered(1)))).toEqual(['persist-log']);
    expect(kinds(deliver(state, ordered(2)))).toEqual(['persist-log']);
    stepReplica(state, { kind: 'persisted', throughSlot: 1, epoch: state.persistEpoch });
    const acks = sent(stepReplica(state, { kind: 'flush', nowMs: 1 }), MessageType.ACK);
    expect(acks.map((a) => a.header.seq)).toEqual([1]);
    expect(acks[0]!.to).toEqual(SEQUENCER);
    expect(stepReplica(state, { kind: 'flush', nowMs: 2 })).toEqual([]);
    // A confirmation from before a truncation (older epoch) is ignored.
    stepReplica(state, { kind: 'persisted', throughSlot: 2, epoch: state.persistEpoch + 1 });
    expect(state.persistedThrough).toBe(1);
  });

  it('applies committed slots in order, exactly once, with the leader NO-OPs imposed first', () => {
    const state = replica(2);
    for (const seq of [1, 2, 3]) deliver(state, ordered(seq));
    // The leader holds seq 2 as a NO-OP: the notice says so, and this replica replaces its copy.
    expect(applied(deliver(state, commitNotice(3, [2])))).toEqual([
      [1, false],
      [2, true],
      [3, false],
    ]);
    expect(applied(deliver(state, commitNotice(3, [2])))).toEqual([]);
    expect(state.sessionNoops).toEqual([2]);
  });

  it('applies every slot exactly once in order under any duplication and reordering', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 30 }), { maxLength: 200 }), fc.integer({ min: 0, max: 30 }), (seqs, commit) => {
        const state = replica(2);
        const out: number[] = [];
        for (const seq of [...seqs, ...Array.from({ length: 30 }, (_, i) => i + 1)]) {
          out.push(...applied(deliver(state, ordered(seq))).map(([slot]) => slot));
          out.push(...applied(deliver(state, commitNotice(commit, [], 30))).map(([slot]) => slot));
        }
        expect(out).toEqual(Array.from({ length: commit }, (_, i) => i + 1));
      }),
      { seed: 5, numRuns: 200 },
    );
  });

  it('drops what is not from its session, view or sequencer, and counts it', () => {
    const state = replica(2);
    deliver(state, fromSequencer(MessageType.ORDERED, { seq: 1, session: 2 }));
    deliver(state, fromSequencer(MessageType.ORDERED, { seq: 1, session: 0 }));
    deliver(state, fromSequencer(MessageType.ORDERED, { seq: 1, view: 3 }));
    deliver(state, ordered(1), 0, { sequencer: 2 });
    deliver(state, new Uint8Array([1, 2, 3]));
    expect(state.through).toBe(0);
    expect(state.counters.dropped).toMatchObject({ 'future-session': 1, 'old-session': 1, 'wrong-view': 1, sender: 1, short: 1 });
  });
});

describe('gaps', () => {
  it('asks the sequencer, then peers, and only the leader decides a NO-OP', () => {
    for (const id of [1, 2]) {
      const state = replica(id);
      deliver(state, ordered(1), 0);
      deliver(state, ordered(3), 1); // seq 2 lost
      const t = PROTOCOL_TIMING;
      const early = stepReplica(state, { kind: 'tick', nowMs: 1 + t.gapTimeoutMs });
      // Only what is missing: seq 3 is held, out of order.
      expect(sent(early, MessageType.RETRANSMIT).map((r) => decodeRetransmitBody(r.body))).toEqual([{ fromSeq: 2, toSeq: 2 }]);
      const peers = sent(stepReplica(state, { kind: 'tick', nowMs: t.gapPeerTimeoutMs + 1 }), MessageType.LOG_REQUEST).map((r) => r.to);
      expect(peers).toEqual(id === 1 ? [{ replica: 2 }, { replica: 3 }] : [{ replica: 1 }]);
      stepReplica(state, { kind: 'tick', nowMs: t.gapNoopTimeoutMs + 2 });
      if (id === 1) {
        expect(state.log.get(2)?.noop).toBe(true);
        expect(state.through).toBe(3);
        stepReplica(state, { kind: 'persisted', throughSlot: 3, epoch: state.persistEpoch });
        const ack = sent(stepReplica(state, { kind: 'flush', nowMs: 999 }), MessageType.ACK)[0]!;
        expect(ack.header.seq).toBe(3);
        expect(decodeNoopsBody(ack.body).noops).toEqual([2]);
      } else {
        expect(state.log.has(2)).toBe(false);
      }
    }
  });
});

describe('view change', () => {
  it('boots: the first leader persists its promise, then asks everyone into session 1', () => {
    const leader = replica(1, 0);
    const effects = stepReplica(leader, { kind: 'tick', nowMs: 10 });
    expect(kinds(effects)).toEqual(['persist-view', 'send:VIEW_CHANGE_REQUEST', 'send:VIEW_CHANGE_REQUEST']);
    expect(leader.status).toBe('view-change');
    expect(leader.vs).toMatchObject({ view: 0, session: 1 });
  });

  it('a follower joins a newer view change and votes to its leader; a quorum of votes starts the view', () => {
    const leader = replica(1, 0);
    const follower = replica(2, 0);
    const request = sent(stepReplica(leader, { kind: 'tick', nowMs: 10 }), MessageType.VIEW_CHANGE_REQUEST)[0]!;
    const joined = deliver(
      follower,
      encodePeerMessage(MessageType.VIEW_CHANGE_REQUEST, { group: GROUP, view: 0, session: 1, sender: 1 }),
      11,
      { replica: 1 },
    );
    expect(request.header.session).toBe(1);
    expect(kinds(joined)).toEqual(['persist-view', 'send:VIEW_CHANGE_REQUEST', 'send:VIEW_CHANGE_REQUEST', 'send:VIEW_CHANGE']);
    const vote = sent(joined, MessageType.VIEW_CHANGE)[0]!;
    expect(vote.to).toEqual({ replica: 1 });
    const started = deliver(leader, vote.bytes, 12, { replica: 2 });
    expect(leader.status).toBe('normal');
    expect(kinds(started)).toEqual(['persist-view', 'send:START_VIEW', 'send:START_VIEW', 'send:SESSION_START']);
    expect(sent(started, MessageType.SESSION_START)[0]!.to).toEqual({ sequencer: 1 });
  });
});

describe('what an ACK may claim', () => {
  const logReply = (entries: Array<{ slot: number; noop: boolean }>): Uint8Array =>
    encodePeerMessage(
      MessageType.LOG_REPLY,
      { group: GROUP, view: 0, session: 1, sender: 1 },
      {
        entries: entries.map(({ slot, noop }) => ({
          slot,
          session: 1,
          seq: slot,
          view: 0,
          clientId: noop ? 0 : 99,
          requestId: noop ? 0 : slot,
          body: new Uint8Array(noop ? [] : [slot]),
          noop,
        })),
        firstSlot: 1,
        through: entries.at(-1)!.slot,
      },
    );

  it('reports a NO-OP the leader shipped in a LOG_REPLY as a NO-OP (found by the simulator, seed 246)', () => {
    const state = replica(2);
    deliver(state, ordered(1));
    deliver(state, ordered(3)); // seq 2 is missing; the leader fills it with the NO-OP it decided
    deliver(state, logReply([{ slot: 2, noop: true }]), 1, { replica: 1 });
    expect(state.through).toBe(3);
    stepReplica(state, { kind: 'persisted', throughSlot: 3, epoch: state.persistEpoch });
    const [ack] = sent(stepReplica(state, { kind: 'flush', nowMs: 2 }), MessageType.ACK);
    expect(ack!.header.seq).toBe(3);
    expect(decodeNoopsBody(ack!.body).noops).toEqual([2]);
  });

  it('neither appends nor acks while a snapshot install replaces the log (found by the simulator, seed 1224)', () => {
    const state = replica(2);
    deliver(state, ordered(1));
    stepReplica(state, { kind: 'persisted', throughSlot: 1, epoch: state.persistEpoch });
    // The peer's window no longer reaches back to what this replica lacks: it fetches the peer's state.
    const fetch = deliver(
      state,
      encodePeerMessage(
        MessageType.LOG_REPLY,
        { group: GROUP, view: 0, session: 1, sender: 1 },
        { entries: [], firstSlot: 50, through: 60 },
      ),
      1,
      { replica: 1 },
    );
    expect(kinds(fetch)).toEqual(['fetch-snapshot']);
    expect(kinds(deliver(state, ordered(2)))).toEqual([]);
    expect(state.counters.dropped['installing-snapshot']).toBe(1);
    expect(sent(stepReplica(state, { kind: 'flush', nowMs: 2 }), MessageType.ACK)).toEqual([]);
    stepReplica(state, { kind: 'snapshot-installed', appliedSlot: 55, nowMs: 3 });
    const [ack] = sent(stepReplica(state, { kind: 'flush', nowMs: 4 }), MessageType.ACK);
    expect(ack!.header.seq).toBe(55);
  });
});

describe('the NO-OP bound', () => {
  it(`lets a leader decide ${NOOPS_PER_SESSION_MAX} NO-OPs in a session, then starts a new session instead of one more`, () => {
    const state = replica(1);
    const t = PROTOCOL_TIMING;
    let nowMs = 0;
    for (let seq = 2; seq <= 2 * NOOPS_PER_SESSION_MAX + 2; seq += 2) {
      deliver(state, ordered(seq), nowMs); // seq - 1 never arrives
      nowMs += t.gapNoopTimeoutMs + 1;
      stepReplica(state, { kind: 'tick', nowMs }); // opens the gap
      nowMs += t.gapNoopTimeoutMs + 1;
      stepReplica(state, { kind: 'tick', nowMs }); // gap agreement, while under the bound
      if (state.status !== 'normal') break;
    }
    expect(state.sessionNoops).toHaveLength(NOOPS_PER_SESSION_MAX);
    expect(state.counters.noopsDecided).toBe(NOOPS_PER_SESSION_MAX);
    expect(state.status).toBe('view-change');
    expect(state.vs).toMatchObject({ view: 0, session: 2 });
  });

  it(`drops a SYNC, VIEW_CHANGE or START_VIEW listing ${NOOPS_PER_SESSION_MAX + 1} NO-OPs as malformed, and takes one at the bound`, () => {
    const noops = (count: number) => Array.from({ length: count }, (_, i) => i + 1);
    const header = { group: GROUP, view: 0, session: 1, sender: 1 };
    for (const count of [NOOPS_PER_SESSION_MAX, NOOPS_PER_SESSION_MAX + 1]) {
      const state = replica(2);
      deliver(
        state,
        encodePeerMessage(MessageType.SYNC, header, { commit: 0, through: 0, incarnation: INCARNATION, noops: noops(count) }),
        0,
        { replica: 1 },
      );
      expect(state.counters.dropped.body ?? 0).toBe(count > NOOPS_PER_SESSION_MAX ? 1 : 0);
    }
    for (const type of [MessageType.VIEW_CHANGE, MessageType.START_VIEW]) {
      const state = replica(1);
      const body =
        type === MessageType.VIEW_CHANGE
          ? { lastNormalView: 0, lastNormalSession: 1, lastNormalBase: 0, through: 0, commit: 0, noops: noops(NOOPS_PER_SESSION_MAX + 1) }
          : {
              sequencerId: 1,
              sessionBase: 0,
              commit: 0,
              mergedView: 0,
              mergedSession: 1,
              mergedBase: 0,
              noops: noops(NOOPS_PER_SESSION_MAX + 1),
            };
      deliver(
        state,
        encodePeerMessage(type, { ...header, view: 1, session: 2, sender: type === MessageType.START_VIEW ? 2 : 3 }, body),
        0,
        { replica: type === MessageType.START_VIEW ? 2 : 3 },
      );
      expect(state.counters.dropped.body).toBe(1);
    }
  });
});
