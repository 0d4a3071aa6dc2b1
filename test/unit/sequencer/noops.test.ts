// Proves NO-OP handling end to end through stepSequencer: the commit rule counts a follower only where its
// NO-OPs agree with the leader's, COMMIT/HEARTBEAT bodies relay the leader's NO-OPs (with a notice when only
// they changed), and slots the leader NO-OPed are never resent as requests.
import { describe, expect, it } from 'vitest';
import { MessageType } from '../../../src/mrtom/header.js';
import { decodeNoopsBody } from '../../../src/mrtom/messages.js';
import { Harness, ofType, retransmitRequest, type Sent } from './fixtures.js';

function noopsOf(sent: Sent): number[] {
  return decodeNoopsBody(sent.body).noops;
}

describe('NO-OP agreement in the commit rule', () => {
  it('a follower holding the request where the leader has a NO-OP counts only below it, until its list agrees', () => {
    const h = new Harness();
    h.submit(6);
    h.ack(1, 6, { noops: [3] });
    h.ack(2, 6);
    expect(h.state.commit).toBe(2);
    h.ack(2, 6, { noops: [3] }); // Same through, now holding the leader's NO-OP.
    expect(h.state.commit).toBe(6);
  });

  it('an older ACK arriving late does not replace a newer list', () => {
    const h = new Harness();
    h.submit(6);
    h.ack(1, 6, { noops: [3] });
    h.ack(2, 6, { noops: [3] });
    h.ack(2, 2); // Reordered: sent before replica 2 reached seq 3.
    expect(h.state.noops.get(2)).toEqual([3]);
    expect(h.state.commit).toBe(6);
  });

  it('commit never moves back when a follower later reports a disagreeing list', () => {
    const h = new Harness();
    h.submit(4);
    h.ack(1, 4);
    h.ack(2, 4);
    expect(h.state.commit).toBe(4);
    h.ack(2, 4, { noops: [2] });
    expect(h.state.commit).toBe(4);
  });

  it('lists are kept sorted and without duplicates, whatever order the replica sends', () => {
    const h = new Harness();
    h.submit(6);
    h.ack(1, 6, { noops: [5, 2, 5] });
    expect(h.state.noops.get(1)).toEqual([2, 5]);
  });
});

describe('relaying the leader NO-OPs', () => {
  it('COMMIT carries the leader list, not a follower one', () => {
    const h = new Harness();
    h.submit(5);
    h.ack(1, 5, { noops: [2, 4] });
    h.ack(3, 5, { noops: [2, 4] });
    h.ack(2, 1, { noops: [1] });
    const notices = ofType(h.flush(), MessageType.COMMIT);
    expect(notices.map((n) => n.to)).toEqual([1, 2, 3]);
    for (const n of notices) {
      expect(n.header.commit).toBe(5);
      expect(noopsOf(n)).toEqual([2, 4]);
    }
  });

  it('a notice goes out when only the leader list changed, and not again while nothing changes', () => {
    const h = new Harness();
    h.submit(4);
    h.ack(1, 2);
    h.ack(2, 2);
    expect(h.flush()[0]?.header.commit).toBe(2);
    h.ack(1, 4, { noops: [3] }); // Commit stays 2: no follower holds the NO-OP yet.
    expect(h.state.commit).toBe(2);
    const notices = h.flush();
    expect(notices).toHaveLength(3);
    expect(notices[0]?.header).toMatchObject({ type: MessageType.COMMIT, commit: 2, seq: 4 });
    expect(noopsOf(notices[0] as Sent)).toEqual([3]);
    expect(h.state.counters.commitNotices).toBe(2);
    h.ack(1, 4, { noops: [3] });
    expect(h.flush()).toEqual([]);
  });

  it('a follower-only list change sends no notice', () => {
    const h = new Harness();
    h.submit(3);
    h.ack(2, 3, { noops: [2] });
    expect(h.flush()).toEqual([]);
  });

  it('HEARTBEAT carries the leader list; an empty list is an empty body', () => {
    const h = new Harness({ heartbeatIntervalMs: 50 });
    h.nowMs = 100;
    const before = ofType(h.tick(), MessageType.HEARTBEAT);
    expect(before.map((s) => s.body.byteLength)).toEqual([0, 0, 0]);
    h.submit(3);
    h.ack(1, 3, { noops: [1] });
    h.nowMs = 200;
    const after = ofType(h.tick(), MessageType.HEARTBEAT);
    expect(after.map((s) => [s.to, noopsOf(s)])).toEqual([
      [1, [1]],
      [2, [1]],
      [3, [1]],
    ]);
  });
});

describe('NO-OP slots in the ring', () => {
  it('a slot the leader reports as NO-OP is never resent as a request', () => {
    const h = new Harness();
    h.submit(3);
    h.ack(1, 3, { noops: [2] });
    const resent = h.datagram(retransmitRequest(3, 1, 3), 3);
    expect(resent.map((s) => [s.header.type, s.header.seq])).toEqual([
      [MessageType.ORDERED, 1],
      [MessageType.ORDERED, 3],
    ]);
    h.nowMs = 1_000;
    expect(
      h
        .tick()
        .filter((s) => s.header.type === MessageType.ORDERED)
        .map((s) => [s.to, s.header.seq]),
    ).toEqual([
      [2, 1],
      [2, 3],
      [3, 1],
      [3, 3],
    ]);
  });

  it('only the leader decides NO-OPs: a follower list leaves the ring alone', () => {
    const h = new Harness();
    h.submit(2);
    h.ack(2, 2, { noops: [1] });
    expect(h.datagram(retransmitRequest(3, 1, 1), 3).map((s) => s.header.seq)).toEqual([1]);
  });

  it('drops an ack whose NO-OP lies above its own through, without applying the through', () => {
    const h = new Harness();
    h.submit(4);
    h.ack(1, 2, { noops: [3] });
    expect(h.state.counters.dropped['malformed-body']).toBe(1);
    expect(h.state.throughs.get(1)).toBe(0);
  });
});
