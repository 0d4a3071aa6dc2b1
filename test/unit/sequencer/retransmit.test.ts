// Proves copies are resent from the ring only to replicas whose cumulative ack is behind, after the
// retransmit interval and within the per-tick budget; that the interval stretches for a replica whose acks
// are slow (up to the max) and shrinks back when they speed up; and that RETRANSMIT requests are served to the asker.
import { describe, expect, it } from 'vitest';
import { MessageType } from '../../../src/mrtom/header.js';
import { RETRANSMIT_REPLY_COPIES_MAX } from '../../../src/sequencer/resend.js';
import { Harness, ofType, retransmitRequest } from './fixtures.js';

function resent(h: Harness): [number, number][] {
  return ofType(h.tick(), MessageType.ORDERED).map((s) => [s.to, s.header.seq]);
}

describe('resend on timeout', () => {
  it('resends only to the replica behind, once the interval has passed, doubling the wait while it does not answer', () => {
    const h = new Harness({ retransmitIntervalMs: 20 });
    h.submit(3);
    h.ack(1, 3);
    h.ack(2, 3);
    h.ack(3, 1);
    h.nowMs = 19;
    expect(resent(h)).toEqual([]);
    h.nowMs = 20;
    expect(resent(h)).toEqual([
      [3, 2],
      [3, 3],
    ]);
    // Unanswered: the next one waits two intervals, then four, up to eight.
    const resendTimes: number[] = [];
    for (h.nowMs = 21; h.nowMs <= 600; h.nowMs += 1) if (resent(h).length > 0) resendTimes.push(h.nowMs);
    expect(resendTimes).toEqual([60, 140, 300, 460]);
    expect(h.state.counters.retransmits).toBe(10);
    // An answer resets the wait.
    h.ack(3, 2);
    h.submit(1);
    h.ack(1, 4);
    h.ack(2, 4);
    h.nowMs = 700;
    expect(resent(h)).toEqual([
      [3, 3],
      [3, 4],
    ]);
    h.nowMs = 720;
    expect(resent(h)).toEqual([]);
    h.nowMs = 740;
    expect(resent(h).length).toBe(2);
    h.ack(3, 4);
    h.nowMs = 2000;
    expect(resent(h)).toEqual([]);
  });

  it('does not resend to a replica whose acks keep advancing, only to one that stalls', () => {
    const h = new Harness({ retransmitIntervalMs: 20 });
    h.submit(10);
    h.ack(1, 10);
    h.ack(2, 10);
    for (let through = 1; through <= 5; through++) {
      h.nowMs = through * 15; // slower than the interval behind the stamps, but moving
      h.ack(3, through);
      expect(resent(h)).toEqual([]);
    }
    h.nowMs = 75 + 20; // stalled at 5 for a whole interval
    expect(resent(h).map(([to]) => to)).toEqual([3, 3, 3, 3, 3]);
  });

  it('waits longer for a replica whose acks are slow, up to the max, and less again once they are fast', () => {
    const h = new Harness({ retransmitIntervalMs: 20, retransmitIntervalMsMax: 200 });
    // Replica 3 acks every copy 60 ms after it was stamped; 1 and 2 at once.
    for (let round = 0; round < 10; round++) {
      h.nowMs = round * 100;
      h.submit(1);
      h.ack(1, round + 1);
      h.ack(2, round + 1);
      h.nowMs += 60;
      h.ack(3, round + 1);
    }
    h.nowMs = 1000;
    h.submit(1); // seq 11, which replica 3 does not ack
    h.ack(1, 11);
    h.ack(2, 11);
    h.nowMs = 1030;
    expect(resent(h)).toEqual([]); // 20 ms would have resent by now; 3's acks take ~60
    h.nowMs = 1200;
    expect(resent(h)).toEqual([[3, 11]]); // never later than the max
    for (let round = 0; round < 30; round++) {
      h.nowMs = 1300 + round * 100;
      h.submit(1);
      h.ack(1, 12 + round);
      h.ack(2, 12 + round);
      h.ack(3, 12 + round);
    }
    h.nowMs = 5000;
    h.submit(1);
    h.ack(1, 42);
    h.ack(2, 42);
    h.nowMs = 5020;
    expect(resent(h)).toEqual([[3, 42]]); // fast again: back to the 20 ms floor
  });

  it('does not resend copies stamped less than an interval ago', () => {
    const h = new Harness({ retransmitIntervalMs: 20 });
    h.submit(1);
    h.nowMs = 15;
    h.submit(1);
    h.nowMs = 20;
    expect(resent(h)).toEqual([
      [1, 1],
      [2, 1],
      [3, 1],
    ]);
  });

  it('resends at most resendPerTickMax copies per tick and rotates which replica goes first', () => {
    const h = new Harness({ resendPerTickMax: 2 });
    h.submit(5);
    h.nowMs = 100;
    expect(resent(h)).toEqual([
      [1, 1],
      [1, 2],
    ]);
    expect(resent(h)).toEqual([
      [2, 1],
      [2, 2],
    ]);
    expect(resent(h)).toEqual([
      [3, 1],
      [3, 2],
    ]);
  });
});

describe('RETRANSMIT requests', () => {
  it('sends the held copies of the range to the asking replica only', () => {
    const h = new Harness();
    h.submit(5);
    const sent = h.datagram(retransmitRequest(2, 2, 4), 2);
    expect(sent.map((s) => [s.to, s.header.type, s.header.seq])).toEqual([
      [2, MessageType.ORDERED, 2],
      [2, MessageType.ORDERED, 3],
      [2, MessageType.ORDERED, 4],
    ]);
    expect(h.state.counters.retransmits).toBe(3);
  });

  it('clips the range to what was stamped', () => {
    const h = new Harness();
    h.submit(2);
    expect(h.datagram(retransmitRequest(1, 2, 90), 1).map((s) => s.header.seq)).toEqual([2]);
  });

  it('bounds the copies sent per request', () => {
    const h = new Harness({ ringCapacity: 1024 });
    h.submit(RETRANSMIT_REPLY_COPIES_MAX + 10);
    const sent = h.datagram(retransmitRequest(3, 1, RETRANSMIT_REPLY_COPIES_MAX + 10), 3);
    expect(sent).toHaveLength(RETRANSMIT_REPLY_COPIES_MAX);
    expect(sent.at(-1)?.header.seq).toBe(RETRANSMIT_REPLY_COPIES_MAX);
  });
});
