// Proves view handling and NO-OP tracking: a higher view resets every replica's `through` (followers may
// have rewound), older views are dropped, and slots the leader NO-OPed are never resent as requests.
import { describe, expect, it } from 'vitest';
import { MessageType } from '../../../src/mrtom/header.js';
import { Harness, retransmitRequest } from './fixtures.js';

describe('view changes', () => {
  it('a higher view resets throughs: view-0 progress no longer counts toward commit', () => {
    const h = new Harness();
    h.submit(6);
    h.ack(1, 6);
    h.ack(3, 4);
    expect(h.state.commit).toBe(4);
    // Replica 2 leads view 1. Without the reset, replica 1's view-0 ack of 6 would commit 6 now.
    h.ack(2, 6, { view: 1 });
    expect(h.state.view).toBe(1);
    expect([...h.state.throughs]).toEqual([[1, 0], [2, 6], [3, 0]]);
    expect(h.state.commit).toBe(4); // The committed prefix survives the view change.
    h.ack(1, 6, { view: 1 });
    expect(h.state.commit).toBe(6);
  });

  it('drops acks from views older than the newest seen', () => {
    const h = new Harness();
    h.submit(3);
    h.ack(3, 3, { view: 2 });
    h.ack(1, 3, { view: 1 });
    h.ack(2, 3, { view: 0 });
    expect(h.state.counters.dropped['stale-view']).toBe(2);
    expect([...h.state.throughs]).toEqual([[1, 0], [2, 0], [3, 3]]);
  });

  it('ORDERED carries the newest view the sequencer knows', () => {
    const h = new Harness();
    h.ack(2, 0, { view: 4 });
    expect(h.submit(1)[0]?.header.view).toBe(4);
  });
});

describe('NO-OP slots', () => {
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
    expect(h.tick().filter((s) => s.header.type === MessageType.ORDERED).map((s) => [s.to, s.header.seq])).toEqual([
      [2, 1], [2, 3], [3, 1], [3, 3],
    ]);
  });

  it('only the leader decides NO-OPs: a follower list is ignored', () => {
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
