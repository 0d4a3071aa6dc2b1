// Proves the replica's normal case as a pure state machine: in-order append, ACK only after persistence,
// apply only what is committed and held, in seq order, exactly once — whatever duplication and reordering
// the network adds — and that a gap makes it ask the sequencer for exactly the missing seqs.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createReplica, isCaughtUp, stepReplica, type ReplicaEffect, type ReplicaState } from '../../../src/consensus/replica.js';
import { MessageType, type Header } from '../../../src/mrtom/header.js';
import { decodeDatagram, decodeRetransmitBody, encodeDatagram } from '../../../src/mrtom/messages.js';
import type { LogEntry } from '../../../src/store/log-entry.js';

const GROUP = 7;

function newReplica(restoreLog: LogEntry[] = [], appliedSeq = 0): ReplicaState {
  return createReplica(
    { id: 2, group: GROUP, replicaIds: [1, 2, 3], gapTimeoutMs: 40, retransmitRequestIntervalMs: 40, pendingEntriesMax: 100 },
    { view: 0, session: 1, appliedSeq, log: restoreLog },
  );
}

function datagram(type: MessageType, fields: Partial<Header>, body = new Uint8Array(0)): Uint8Array {
  return encodeDatagram({ type, group: GROUP, session: 1, view: 0, seq: 0, commit: 0, requestId: 0, sender: 0, ...fields }, body);
}

const ordered = (seq: number, commit = 0): Uint8Array =>
  datagram(MessageType.ORDERED, { seq, commit, requestId: seq, sender: 99 }, new Uint8Array([seq & 0xff]));

function run(state: ReplicaState, bytes: Uint8Array, nowMs = 0): ReplicaEffect[] {
  return stepReplica(state, { kind: 'datagram', bytes, nowMs });
}

const appliedSeqs = (effects: ReplicaEffect[]): number[] =>
  effects.flatMap((e) => (e.kind === 'apply' ? e.entries.map((x) => x.seq) : []));
const persistedSeqs = (effects: ReplicaEffect[]): number[] =>
  effects.flatMap((e) => (e.kind === 'persist' ? e.entries.map((x) => x.seq) : []));
const sentHeaders = (effects: ReplicaEffect[]): Header[] =>
  effects.flatMap((e) => (e.kind === 'send' ? [decodeDatagram(e.bytes).header] : []));

describe('replica normal case', () => {
  it('appends in order, acks only what is persisted, and applies only what is committed', () => {
    const state = newReplica();
    expect(persistedSeqs(run(state, ordered(1)))).toEqual([1]);
    expect(persistedSeqs(run(state, ordered(2)))).toEqual([2]);
    // Nothing persisted yet: the flush re-announces the restore point only.
    expect(sentHeaders(stepReplica(state, { kind: 'flush' })).map((h) => h.seq)).toEqual([0]);
    stepReplica(state, { kind: 'persisted', through: 2 });
    const acks = sentHeaders(stepReplica(state, { kind: 'flush' }));
    expect(acks).toHaveLength(1);
    expect(acks[0]).toMatchObject({ type: MessageType.ACK, seq: 2, sender: 2, session: 1, view: 0 });
    // A second flush without news sends nothing: acks are coalesced.
    expect(stepReplica(state, { kind: 'flush' })).toEqual([]);
    // COMMIT covering seq 1 applies exactly seq 1.
    expect(appliedSeqs(run(state, datagram(MessageType.COMMIT, { commit: 1 })))).toEqual([1]);
    expect(appliedSeqs(run(state, datagram(MessageType.COMMIT, { commit: 2 })))).toEqual([2]);
    expect(isCaughtUp(state)).toBe(true);
  });

  it('never applies a committed seq it does not hold, and asks the sequencer for the gap', () => {
    const state = newReplica();
    run(state, ordered(1), 0);
    run(state, ordered(4, 3), 1); // seqs 2 and 3 lost; commit says 3 is committed
    expect(state.applied).toBe(1);
    expect(isCaughtUp(state)).toBe(false);
    expect(stepReplica(state, { kind: 'tick', nowMs: 20 })).toEqual([]); // gap younger than the timeout
    const sent = stepReplica(state, { kind: 'tick', nowMs: 50 }).filter((e) => e.kind === 'send');
    const request = sent.map((e) => decodeDatagram((e as { bytes: Uint8Array }).bytes)).find((d) => d.header.type === MessageType.RETRANSMIT);
    expect(request && decodeRetransmitBody(request.body)).toEqual({ fromSeq: 2, toSeq: 4 });
    // The retransmitted copies fill the gap: 2, 3 and the buffered 4 are appended; 2..3 are applied.
    run(state, ordered(2), 60);
    const effects = run(state, ordered(3), 61);
    expect(persistedSeqs(effects)).toEqual([3, 4]);
    expect(state.applied).toBe(3);
  });

  it('drops datagrams of another group, an old session, or a future session, and counts them', () => {
    const state = newReplica();
    run(state, encodeDatagram({ type: MessageType.ORDERED, group: GROUP + 1, session: 1, view: 0, seq: 1, commit: 0, requestId: 1, sender: 1 }));
    run(state, datagram(MessageType.ORDERED, { session: 0, seq: 1 }));
    run(state, datagram(MessageType.ORDERED, { session: 2, seq: 1 }));
    run(state, new Uint8Array([1, 2, 3]));
    expect(state.through).toBe(0);
    expect(state.counters.dropped).toMatchObject({ group: 1, 'old-session': 1, 'future-session': 1, short: 1 });
  });

  it('restarts from its durable log and applied point', () => {
    const entry = (seq: number): LogEntry => ({ session: 1, seq, view: 0, clientId: 1, requestId: seq, body: new Uint8Array(), noop: false });
    const state = newReplica([entry(6), entry(7), entry(9)], 5);
    expect(state.through).toBe(7); // 9 is not contiguous
    expect(sentHeaders(stepReplica(state, { kind: 'flush' }))[0]).toMatchObject({ type: MessageType.ACK, seq: 7 });
  });

  it('applies every seq exactly once, in order, under any duplication and reordering', () => {
    const deliveries = fc.array(fc.integer({ min: 1, max: 30 }), { minLength: 1, maxLength: 200 });
    fc.assert(
      fc.property(deliveries, fc.integer({ min: 0, max: 30 }), (seqs, commit) => {
        const state = newReplica();
        const applied: number[] = [];
        const all = [...seqs, ...Array.from({ length: 30 }, (_, i) => i + 1)]; // eventually everything arrives
        for (const seq of all) applied.push(...appliedSeqs(run(state, ordered(seq, commit))));
        expect(applied).toEqual(Array.from({ length: commit }, (_, i) => i + 1));
        expect(state.through).toBe(30);
      }),
      { seed: 3, numRuns: 300 },
    );
  });
});
