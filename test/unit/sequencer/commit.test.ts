// Proves commit needs the current leader plus f other replicas, acks are cumulative, and a burst of acks
// yields one coalesced COMMIT notice per flush; includes a fast-check property over leaderless ack sets.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MessageType } from '../../../src/mrtom/header.js';
import { Harness, SESSION, ofType } from './fixtures.js';

const FIVE = [1, 2, 3, 4, 5];

describe('commit rule', () => {
  it('acks from followers without the leader never commit, however many (5 replicas)', () => {
    const h = new Harness({ replicaIds: FIVE });
    h.submit(5);
    for (const follower of [2, 3, 4, 5]) h.ack(follower, 5);
    expect(h.state.commit).toBe(0);
    expect(h.flush()).toEqual([]);
  });

  it('the leader plus fewer than f followers does not commit; plus f does', () => {
    const h = new Harness({ replicaIds: FIVE });
    h.submit(5);
    h.ack(1, 5);
    h.ack(2, 5);
    expect(h.state.commit).toBe(0);
    h.ack(4, 3);
    expect(h.state.commit).toBe(3);
    const notices = h.flush();
    expect(notices.map((n) => n.to)).toEqual(FIVE);
    for (const n of notices) expect(n.header).toMatchObject({ type: MessageType.COMMIT, commit: 3, session: SESSION, view: 0, seq: 5 });
  });

  it('commit is bounded by the leader: followers ahead of it do not help', () => {
    const h = new Harness();
    h.submit(4);
    h.ack(2, 4);
    h.ack(3, 4);
    h.ack(1, 1);
    expect(h.state.commit).toBe(1);
  });

  it('property: ack schedules from a set lacking the leader, or with at most f replicas, never commit', () => {
    const arbitrary = fc.record({ n: fc.constantFrom(3, 5, 7), seqs: fc.integer({ min: 1, max: 20 }) }).chain(({ n, seqs }) => {
      const ids = Array.from({ length: n }, (_, i) => i + 1); // The leader of view 0 is replica 1.
      const f = (n - 1) / 2;
      const ackers = fc.oneof(fc.subarray(ids.slice(1), { minLength: 1 }), fc.subarray(ids, { minLength: 1, maxLength: f }));
      const acks = ackers.chain((set) =>
        fc.array(fc.record({ from: fc.constantFrom(...set), through: fc.integer({ min: 0, max: seqs }) }), { maxLength: 40 }),
      );
      return fc.record({ ids: fc.constant(ids), seqs: fc.constant(seqs), acks });
    });
    fc.assert(
      fc.property(arbitrary, ({ ids, seqs, acks }) => {
        const h = new Harness({ replicaIds: ids });
        h.submit(seqs);
        for (const a of acks) h.ack(a.from, a.through);
        expect(h.state.commit).toBe(0);
        expect(ofType(h.flush(), MessageType.COMMIT)).toEqual([]);
      }),
    );
  });
});

describe('cumulative acks and coalesced COMMIT notices', () => {
  it('a burst of acks produces one COMMIT per replica at the final commit', () => {
    const h = new Harness();
    h.submit(5);
    for (let through = 1; through <= 5; through += 1) {
      h.ack(1, through);
      h.ack(2, through);
    }
    const notices = h.flush();
    expect(notices.map((n) => [n.to, n.header.commit])).toEqual([
      [1, 5],
      [2, 5],
      [3, 5],
    ]);
    expect(h.state.counters.commitNotices).toBe(1);
    expect(h.flush()).toEqual([]);
  });

  it('through only grows: a reordered older ack does not move commit back', () => {
    const h = new Harness();
    h.submit(5);
    h.ack(1, 5);
    h.ack(2, 5);
    h.ack(2, 2);
    h.ack(1, 1);
    expect(h.state.throughs.get(1)).toBe(5);
    expect(h.state.commit).toBe(5);
  });

  it('one cumulative ack covers every seq at or below it', () => {
    const h = new Harness();
    h.submit(7);
    h.ack(1, 7);
    h.ack(3, 6);
    expect(h.state.commit).toBe(6);
    expect(h.flush()[0]?.header.commit).toBe(6);
  });
});
