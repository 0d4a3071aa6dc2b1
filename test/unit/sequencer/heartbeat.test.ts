// Proves an idle sequencer in a session announces its last stamped seq and commit with a HEARTBEAT every
// heartbeat interval (so replicas detect tail loss), and stays quiet while it is stamping.
import { describe, expect, it } from 'vitest';
import { MessageType } from '../../../src/mrtom/header.js';
import { Harness, SESSION, ofType } from './fixtures.js';

function heartbeats(h: Harness) {
  return ofType(h.tick(), MessageType.HEARTBEAT);
}

describe('heartbeat', () => {
  it('announces the session to every replica one interval after it started, when nothing was stamped', () => {
    const h = new Harness({ heartbeatIntervalMs: 50 }); // SESSION_START at 0 was answered with a HEARTBEAT.
    h.nowMs = 49;
    expect(heartbeats(h)).toEqual([]);
    h.nowMs = 50;
    const sent = heartbeats(h);
    expect(sent.map((s) => s.to)).toEqual([1, 2, 3]);
    expect(sent[0]?.header).toMatchObject({ session: SESSION, seq: 0, commit: 0 });
  });

  it('carries the last stamped seq and commit after an idle interval, and no more often', () => {
    const h = new Harness({ heartbeatIntervalMs: 50 });
    h.nowMs = 10;
    h.submit(4);
    h.ack(1, 3);
    h.ack(2, 3);
    h.nowMs = 59;
    expect(heartbeats(h)).toEqual([]);
    h.nowMs = 60;
    expect(heartbeats(h)[0]?.header).toMatchObject({ seq: 4, commit: 3 });
    h.nowMs = 109;
    expect(heartbeats(h)).toEqual([]);
    h.nowMs = 110;
    expect(heartbeats(h)).toHaveLength(3);
    expect(h.state.counters.heartbeats).toBe(3); // Including the reply to SESSION_START.
  });

  it('is not sent while requests keep being stamped', () => {
    const h = new Harness({ heartbeatIntervalMs: 50 });
    for (h.nowMs = 0; h.nowMs <= 200; h.nowMs += 10) {
      h.submit(1);
      for (const replica of [1, 2, 3]) h.ack(replica, h.state.seqLast);
      expect(heartbeats(h)).toEqual([]);
    }
  });
});
