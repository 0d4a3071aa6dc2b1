// Proves the sequencer stamps REQUESTs with consecutive seqs of its session and fans the same ORDERED
// datagram out to every replica, forwarding the body untouched; driven through stepSequencer.
import { describe, expect, it } from 'vitest';
import { MessageType } from '../../../src/mrtom/header.js';
import { Harness, SESSION, request, retransmitRequest } from './fixtures.js';

describe('stamping', () => {
  it('stamps consecutive seqs from 1 and sends each ORDERED to every replica in order', () => {
    const h = new Harness();
    const sent = h.submit(3, 2);
    expect(sent.map((s) => [s.to, s.header.seq])).toEqual([
      [1, 1],
      [2, 1],
      [3, 1],
      [1, 2],
      [2, 2],
      [3, 2],
      [1, 3],
      [2, 3],
      [3, 3],
    ]);
    for (const s of sent) {
      expect(s.header.type).toBe(MessageType.ORDERED);
      expect(s.header.session).toBe(SESSION);
      expect(s.header.view).toBe(0);
      expect(s.header.sender).toBe(102); // The submitting client's id survives stamping.
      expect(s.header.requestId).toBe(s.header.seq);
    }
    expect(h.state.counters).toMatchObject({ stamped: 3, ordersSent: 9 });
  });

  it('forwards the body byte for byte without decoding it', () => {
    const h = new Harness();
    const notMsgpack = new Uint8Array([0xc1, 0xff, 0x00, 0x42, 0xc1]); // 0xc1 is never valid msgpack.
    const [first] = h.datagram(request(5, 9, notMsgpack), 1);
    expect(first?.header).toMatchObject({ type: MessageType.ORDERED, seq: 1, requestId: 9, sender: 5 });
    expect([...(first?.body ?? [])]).toEqual([...notMsgpack]);
  });

  it('piggybacks the current commit on ORDERED', () => {
    const h = new Harness();
    h.submit(2);
    h.ack(1, 2);
    h.ack(2, 2);
    const [next] = h.submit(1);
    expect(next?.header).toMatchObject({ seq: 3, commit: 2 });
  });

  it('keeps its own copy, unaffected when the receive buffer is reused', () => {
    const h = new Harness();
    const buffer = request(5, 1);
    h.datagram(buffer, 1);
    buffer.fill(0);
    const [resent] = h.datagram(retransmitRequest(3, 1, 1), 3);
    expect(resent?.header).toMatchObject({ type: MessageType.ORDERED, seq: 1, requestId: 1, sender: 5 });
  });

  it('never stamps a REQUEST twice: one that already carries a session is dropped', () => {
    const h = new Harness();
    expect(h.datagram(request(5, 1, undefined, SESSION), 1)).toEqual([]);
    expect(h.state.counters.dropped['wrong-session']).toBe(1);
    expect(h.state.counters.stamped).toBe(0);
  });
});
