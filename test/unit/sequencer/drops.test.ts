// Proves foreign, malformed and misdirected datagrams are dropped and counted under exactly one reason,
// never thrown: a table of crafted datagrams, then fast-check over arbitrary bytes and arbitrary headers.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Header, MessageType, HEADER_BYTES, writeHeader } from '../../../src/mrtom/header.js';
import { decodeDatagram, encodeDatagram } from '../../../src/mrtom/messages.js';
import { DROP_REASONS, type DropReason } from '../../../src/sequencer/counters.js';
import { stepSequencer } from '../../../src/sequencer/protocol.js';
import { createSequencer } from '../../../src/sequencer/state.js';
import { GROUP, Harness, INCARNATION, SESSION, ack, options, request, sessionStart } from './fixtures.js';

function datagram(fields: Partial<Header> & Pick<Header, 'type'>, body?: Uint8Array): Uint8Array {
  return encodeDatagram(
    { group: GROUP, session: SESSION, view: 0, seq: 0, commit: 0, requestId: 0, sender: 1, incarnation: INCARNATION, ...fields },
    body,
  );
}

function sum(counts: Record<string, number>): number {
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

describe('dropped datagrams', () => {
  const cases: { reason: DropReason; bytes: Uint8Array; fromReplica: number | null }[] = [
    { reason: 'malformed', bytes: new Uint8Array([1, 2, 3]), fromReplica: 1 },
    { reason: 'malformed', bytes: request(5, 1).subarray(0, HEADER_BYTES + 1), fromReplica: 1 },
    { reason: 'wrong-group', bytes: datagram({ type: MessageType.REQUEST, group: GROUP + 1, session: 0 }), fromReplica: 1 },
    { reason: 'unknown-source', bytes: request(5, 1), fromReplica: null },
    { reason: 'unknown-source', bytes: request(5, 1), fromReplica: 9 },
    { reason: 'unexpected-type', bytes: datagram({ type: MessageType.ORDERED, seq: 1 }), fromReplica: 1 },
    { reason: 'unexpected-type', bytes: datagram({ type: MessageType.COMMIT }), fromReplica: 2 },
    { reason: 'unexpected-type', bytes: datagram({ type: MessageType.HEARTBEAT }), fromReplica: 3 },
    { reason: 'unexpected-type', bytes: datagram({ type: MessageType.LOG_REQUEST }), fromReplica: 2 },
    { reason: 'unexpected-type', bytes: datagram({ type: MessageType.RECOVERY_REPLY }), fromReplica: 2 },
    { reason: 'stale-session', bytes: sessionStart(1, SESSION - 1, 0), fromReplica: 1 },
    { reason: 'wrong-session', bytes: ack(1, 0, { session: SESSION + 1 }), fromReplica: 1 },
    { reason: 'wrong-session', bytes: request(5, 1, undefined, SESSION), fromReplica: 1 },
    { reason: 'sender-mismatch', bytes: ack(2, 0), fromReplica: 1 },
    { reason: 'sender-mismatch', bytes: sessionStart(2, SESSION + 1, 1), fromReplica: 1 },
    { reason: 'stale-view', bytes: ack(1, 0, { view: 1 }), fromReplica: 1 },
    { reason: 'stale-incarnation', bytes: ack(1, 0, { incarnation: INCARNATION + 1 }), fromReplica: 1 },
    { reason: 'stale-incarnation', bytes: datagram({ type: MessageType.RETRANSMIT, incarnation: 0 }), fromReplica: 1 },
    {
      reason: 'malformed-body',
      bytes: datagram({ type: MessageType.SESSION_START, session: SESSION + 1 }, new Uint8Array([1])),
      fromReplica: 1,
    },
    { reason: 'malformed-body', bytes: datagram({ type: MessageType.ACK }, new Uint8Array([0xc1])), fromReplica: 1 },
    { reason: 'malformed-body', bytes: datagram({ type: MessageType.RETRANSMIT }), fromReplica: 1 },
    { reason: 'through-beyond-stamped', bytes: ack(1, 1), fromReplica: 1 },
    // One byte past the submitters' limit (options().datagramBytesMax = 1400); 1400 itself is stamped below.
    { reason: 'oversized', bytes: request(5, 1, new Uint8Array(1400 - HEADER_BYTES + 1)), fromReplica: 1 },
  ];
  for (const c of cases) {
    it(`${c.reason} (${c.bytes.byteLength} bytes from ${c.fromReplica})`, () => {
      const h = new Harness();
      expect(h.datagram(c.bytes, c.fromReplica)).toEqual([]);
      expect(h.state.counters.dropped[c.reason]).toBe(1);
      expect(sum(h.state.counters.dropped)).toBe(1);
      expect(h.state.counters.stamped).toBe(0);
      expect(h.state.session).toBe(SESSION);
      expect([...h.state.throughs.values()]).toEqual([0, 0, 0]);
    });
  }

  it('a REQUEST of exactly datagramBytesMax is stamped', () => {
    const h = new Harness();
    expect(h.datagram(request(5, 1, new Uint8Array(1400 - HEADER_BYTES)), 1)).toHaveLength(3);
    expect(h.state.counters.stamped).toBe(1);
  });

  it('unstampable: a stampable REQUEST reaching a machine whose REQUESTs the kernel stamps', () => {
    const h = new Harness({ kernelStamps: true });
    expect(h.datagram(request(5, 1), 1)).toEqual([]);
    expect(h.state.counters.dropped.unstampable).toBe(1);
    expect(sum(h.state.counters.dropped)).toBe(1);
    expect(h.state.seqLast).toBe(0);
  });

  it('no-session: a REQUEST before any SESSION_START', () => {
    const h = new Harness({}, null);
    expect(h.datagram(request(5, 1), 1)).toEqual([]);
    expect(h.state.counters.dropped['no-session']).toBe(1);
    expect(sum(h.state.counters.dropped)).toBe(1);
  });

  it('every drop reason has a case above', () => {
    expect(new Set([...cases.map((c) => c.reason), 'no-session', 'unstampable'])).toEqual(new Set(DROP_REASONS));
  });

  it('property: arbitrary bytes from any source never throw and count as malformed unless they decode', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.constantFrom(null, 1, 2, 3, 4), (bytes, fromReplica) => {
        const h = new Harness();
        h.datagram(bytes, fromReplica);
        let decodes = true;
        try {
          decodeDatagram(bytes);
        } catch {
          decodes = false;
        }
        if (!decodes) expect(h.state.counters.dropped.malformed).toBe(1);
      }),
    );
  });

  it('property: well-framed datagrams with arbitrary fields are either accepted or counted once, never thrown', () => {
    const header = fc.record({
      type: fc.constantFrom(...Object.values(MessageType).filter((v): v is number => typeof v === 'number')),
      group: fc.constantFrom(GROUP, GROUP + 1),
      session: fc.constantFrom(0, SESSION, SESSION + 1),
      view: fc.integer({ min: 0, max: 3 }),
      seq: fc.integer({ min: 0, max: 8 }),
      commit: fc.integer({ min: 0, max: 8 }),
      requestId: fc.nat(),
      sender: fc.integer({ min: 0, max: 4 }),
    });
    const input = fc.record({ header, body: fc.uint8Array({ maxLength: 40 }), fromReplica: fc.constantFrom(null, 1, 2, 3, 4) });
    fc.assert(
      fc.property(fc.boolean(), fc.array(input, { maxLength: 30 }), (started, inputs) => {
        const state = createSequencer(options());
        let nowMs = 0;
        if (started) stepSequencer(state, { kind: 'datagram', fromReplica: 1, bytes: sessionStart(1, SESSION, 0), nowMs });
        for (const { header: fields, body, fromReplica } of inputs) {
          const bytes = new Uint8Array(HEADER_BYTES + body.byteLength);
          writeHeader(bytes, { ...fields, type: fields.type as MessageType }, body.byteLength);
          bytes.set(body, HEADER_BYTES);
          const droppedBefore = sum(state.counters.dropped);
          const stampedBefore = state.counters.stamped;
          stepSequencer(state, { kind: 'datagram', fromReplica, bytes, nowMs });
          nowMs += 7;
          stepSequencer(state, { kind: 'tick', nowMs });
          const dropped = sum(state.counters.dropped) - droppedBefore;
          const stamped = state.counters.stamped - stampedBefore;
          expect(dropped + stamped).toBeLessThanOrEqual(1);
          if (fields.type === MessageType.REQUEST) expect(dropped + stamped).toBe(1);
          if (fields.type !== MessageType.REQUEST) expect(stamped).toBe(0);
        }
        expect(state.commit).toBeLessThanOrEqual(state.seqLast);
        if (state.session === 0) expect(state.counters).toMatchObject({ stamped: 0, heartbeats: 0 });
      }),
    );
  });
});
