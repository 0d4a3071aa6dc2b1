// Proves the copy ring is bounded: when full of unacked copies the oldest are dropped and counted, while
// copies every replica acked are freed without counting; checked through RETRANSMIT replies.
import { describe, expect, it } from 'vitest';
import { Harness, retransmitRequest } from './fixtures.js';

describe('bounded copy ring', () => {
  it('a full ring of unacked copies drops the oldest and counts each drop', () => {
    const h = new Harness({ ringCapacity: 4 });
    h.submit(6);
    expect(h.state.counters.ringDrops).toBe(2);
    expect(h.datagram(retransmitRequest(3, 1, 6), 3).map((s) => s.header.seq)).toEqual([3, 4, 5, 6]);
  });

  it('copies acked by every replica are freed, not counted as drops', () => {
    const h = new Harness({ ringCapacity: 4 });
    h.submit(4);
    for (const replica of [1, 2, 3]) h.ack(replica, 4);
    h.submit(4);
    expect(h.state.counters.ringDrops).toBe(0);
    expect(h.datagram(retransmitRequest(3, 1, 8), 3).map((s) => s.header.seq)).toEqual([5, 6, 7, 8]);
  });

  it('a copy acked by all but one replica is still kept for that replica', () => {
    const h = new Harness({ ringCapacity: 4 });
    h.submit(3);
    h.ack(1, 3);
    h.ack(2, 3);
    h.tick();
    expect(h.datagram(retransmitRequest(3, 1, 3), 3).map((s) => s.header.seq)).toEqual([1, 2, 3]);
  });

  it('tick frees copies every replica acked', () => {
    const h = new Harness();
    h.submit(3);
    for (const replica of [1, 2, 3]) h.ack(replica, 2);
    h.tick();
    expect(h.datagram(retransmitRequest(3, 1, 3), 3).map((s) => s.header.seq)).toEqual([3]);
  });
});
