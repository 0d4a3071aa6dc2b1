// Proves an idle sequencer announces its last stamped seq and commit with a HEARTBEAT every heartbeat
// interval (so replicas detect tail loss), and stays quiet while it is stamping.
import { describe, expect, it } from 'vitest';
import { MessageType } from '../../../src/mrtom/header.js';
import { Harness, SESSION, ofType } from './fixtures.js';

function heartbeats(h: Harness) {
  return ofType(h.tick(), MessageType.HEARTBEAT);
}

describe('heartbeat', () => {
  it('announces itself on the first tick, to every replica', () => {
    const h = new Harness();
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
    expect(h.state.counters.heartbeats).toBe(2);
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
