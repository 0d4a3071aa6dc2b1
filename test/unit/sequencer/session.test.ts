// Proves a sequencer serves only a session it was given (docs/design.md §3): without one it stamps and
// announces nothing; a leader's SESSION_START of a newer session resets everything and is answered with a
// HEARTBEAT at once; older ones are refused; a repeat re-announces; ACKs must match session and view exactly.
import { describe, expect, it } from 'vitest';
import { MessageType } from '../../../src/mrtom/header.js';
import { Harness, SESSION, ofType, request, sessionStart } from './fixtures.js';

function idle(): Harness {
  return new Harness({}, null);
}

describe('before any session', () => {
  it('drops REQUESTs as no-session and stamps nothing', () => {
    const h = idle();
    expect(h.datagram(request(5, 1), 1)).toEqual([]);
    expect(h.state.counters.dropped['no-session']).toBe(1);
    expect(h.state.counters.stamped).toBe(0);
    expect(h.state.seqLast).toBe(0);
  });

  it('drops ACKs and RETRANSMITs, even ones claiming session 0', () => {
    const h = idle();
    h.ack(1, 0);
    h.retransmit(2, 1, 1);
    expect(h.state.counters.dropped['no-session']).toBe(2);
  });

  it('sends no HEARTBEAT however long it idles', () => {
    const h = idle();
    for (h.nowMs = 0; h.nowMs <= 500; h.nowMs += 50) expect(h.tick()).toEqual([]);
    expect(h.flush()).toEqual([]);
    expect(h.state.counters.heartbeats).toBe(0);
  });

  it('refuses a SESSION_START of session 0', () => {
    const h = idle();
    expect(h.startSession(0, 0)).toEqual([]);
    expect(h.state.counters.dropped['stale-session']).toBe(1);
    expect(h.state.session).toBe(0);
  });
});

describe('SESSION_START', () => {
  it('is adopted from the leader and answered with a HEARTBEAT to every replica', () => {
    const h = idle();
    const sent = h.startSession(4, 2); // Replica 3 leads view 2.
    expect(sent.map((s) => [s.to, s.header.type])).toEqual([
      [1, MessageType.HEARTBEAT],
      [2, MessageType.HEARTBEAT],
      [3, MessageType.HEARTBEAT],
    ]);
    expect(sent[0]?.header).toMatchObject({ session: 4, view: 2, seq: 0, commit: 0, sender: 0 });
    expect(h.state.counters).toMatchObject({ sessionStarts: 1, heartbeats: 1 });
    expect(h.submit(1)[0]?.header).toMatchObject({ type: MessageType.ORDERED, session: 4, view: 2, seq: 1 });
  });

  it('of a newer session resets seq, commit, ring, throughs and NO-OP lists', () => {
    const h = new Harness();
    h.submit(5);
    h.ack(1, 5, { noops: [2] });
    h.ack(2, 4, { noops: [2] });
    h.flush();
    expect(h.state.commit).toBe(4);

    const sent = h.startSession(SESSION + 1, 1); // Replica 2 leads view 1.
    expect(ofType(sent, MessageType.HEARTBEAT).map((s) => s.header)).toEqual(
      [1, 2, 3].map(() => expect.objectContaining({ session: SESSION + 1, view: 1, seq: 0, commit: 0 })),
    );
    expect(sent.every((s) => s.body.byteLength === 0)).toBe(true); // No NO-OPs carried over.
    expect(h.state).toMatchObject({ session: SESSION + 1, view: 1, seqLast: 0, commit: 0, commitAnnounced: 0 });
    expect([...h.state.throughs]).toEqual([
      [1, 0],
      [2, 0],
      [3, 0],
    ]);
    expect(h.state.noops.size).toBe(0);
    expect(h.retransmit(3, 1, 5)).toEqual([]); // The old session's copies are gone.
    expect(h.flush()).toEqual([]);
    h.nowMs = 1_000;
    expect(ofType(h.tick(), MessageType.ORDERED)).toEqual([]);

    // Seqs restart at 1 and the new view's leader (2) is the one that commits.
    expect(h.submit(2).map((s) => s.header.seq)).toEqual([1, 1, 1, 2, 2, 2]);
    h.ack(1, 2);
    h.ack(3, 2);
    expect(h.state.commit).toBe(0);
    h.ack(2, 2);
    expect(h.state.commit).toBe(2);
    expect(h.state.counters.sessionStarts).toBe(2);
  });

  it('of an older session is refused and changes nothing', () => {
    const h = new Harness();
    h.submit(2);
    expect(h.startSession(SESSION - 1, 0)).toEqual([]);
    expect(h.state.counters.dropped['stale-session']).toBe(1);
    expect(h.state).toMatchObject({ session: SESSION, seqLast: 2 });
  });

  it('of the same session and view only re-announces, keeping seq and commit', () => {
    const h = new Harness();
    h.submit(3);
    h.ack(1, 3);
    h.ack(2, 2);
    const sent = h.startSession(SESSION, 0);
    expect(sent.map((s) => [s.to, s.header.type, s.header.seq, s.header.commit])).toEqual([
      [1, MessageType.HEARTBEAT, 3, 2],
      [2, MessageType.HEARTBEAT, 3, 2],
      [3, MessageType.HEARTBEAT, 3, 2],
    ]);
    expect(h.state.counters).toMatchObject({ sessionStarts: 1, heartbeats: 2 });
    expect(h.state.throughs.get(1)).toBe(3);
  });

  it('of the same session in another view is refused', () => {
    const h = new Harness();
    expect(h.startSession(SESSION, 1)).toEqual([]);
    expect(h.state.counters.dropped['stale-session']).toBe(1);
    expect(h.state.view).toBe(0);
  });

  it('must come from the configured replica it names, with an empty body', () => {
    const h = idle();
    expect(h.datagram(sessionStart(1, 4, 0), null)).toEqual([]);
    expect(h.datagram(sessionStart(1, 4, 0), 2)).toEqual([]);
    expect(h.state.counters.dropped).toMatchObject({ 'unknown-source': 1, 'sender-mismatch': 1 });
    expect(h.state.session).toBe(0);
  });
});

describe('acks within a session', () => {
  it('must carry the session view exactly: no adopting a higher view from an ACK', () => {
    const h = new Harness({}, { session: SESSION, view: 1 });
    h.submit(3);
    h.ack(2, 3, { view: 0 });
    h.ack(2, 3, { view: 2 });
    h.retransmit(3, 1, 1); // The fixture's RETRANSMIT carries the session view: served.
    expect(h.state.counters.dropped['stale-view']).toBe(2);
    expect(h.state.view).toBe(1);
    expect([...h.state.throughs]).toEqual([
      [1, 0],
      [2, 0],
      [3, 0],
    ]);
  });

  it('of another session are dropped as wrong-session', () => {
    const h = new Harness();
    h.submit(1);
    h.ack(1, 1, { session: SESSION + 1 });
    h.ack(1, 1, { session: SESSION - 1 });
    expect(h.state.counters.dropped['wrong-session']).toBe(2);
    expect(h.state.throughs.get(1)).toBe(0);
  });
});
