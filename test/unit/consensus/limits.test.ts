// Proves the replica protocol's size limits at the boundary and one past it: a LOG_REPLY carries entries up
// to LOG_REPLY_BYTES_MAX (and always at least one, however large), and a RETRANSMIT asks for at most
// RETRANSMIT_SPAN_MAX seqs, which is also the widest span a sequencer accepts.
import { describe, expect, it } from 'vitest';
import { stepReplica, type ReplicaState } from '../../../src/consensus/replica.js';
import { BOUND_INCARNATION, boundReplica, logEntry } from './fixtures.js';
import { decodeLogReply, encodePeerMessage, entryBytes, LOG_REPLY_BYTES_MAX } from '../../../src/consensus/peer-messages.js';
import { MessageType } from '../../../src/mrtom/header.js';
import {
  decodeDatagram,
  decodeRetransmitBody,
  encodeDatagram,
  encodeRetransmitBody,
  RETRANSMIT_SPAN_MAX,
} from '../../../src/mrtom/messages.js';
import { DecodeError } from '../../../src/mrtom/header.js';
import { PROTOCOL_TIMING } from '../../../src/runtime/timing.js';
import { RETRANSMIT_SINGLE_ASKS_MAX } from '../../../src/consensus/gap.js';

const INCARNATION = BOUND_INCARNATION;
const FIVE_ENTRIES = 5;

const follower = (): ReplicaState => boundReplica(2, { pendingEntriesMax: 10_000 });

function ordered(seq: number, bodyBytes: number): Uint8Array {
  return encodeDatagram(
    { type: MessageType.ORDERED, group: 1, session: 1, view: 0, seq, commit: 0, requestId: seq, sender: 9, incarnation: INCARNATION },
    new Uint8Array(bodyBytes),
  );
}

/** The entries a LOG_REPLY to a request for slots 1..count carries, from a replica holding them. */
function served(bodyBytes: number[]): number {
  const state = follower();
  bodyBytes.forEach((bytes, i) => stepReplica(state, { kind: 'datagram', from: { sequencer: 1 }, bytes: ordered(i + 1, bytes), nowMs: 0 }));
  const request = encodePeerMessage(
    MessageType.LOG_REQUEST,
    { group: 1, view: 0, session: 1, sender: 1 },
    { fromSlot: 1, toSlot: bodyBytes.length, sessionBase: 0 },
  );
  const [reply] = stepReplica(state, { kind: 'datagram', from: { replica: 1 }, bytes: request, nowMs: 0 });
  if (reply?.kind !== 'send') throw new Error('expected a LOG_REPLY');
  return decodeLogReply(decodeDatagram(reply.bytes).body).entries.length;
}

describe('LOG_REPLY_BYTES_MAX', () => {
  // Entries whose sizes add up to exactly the limit: all fit; one byte more and the last one waits.
  const perEntry = Math.floor(LOG_REPLY_BYTES_MAX / FIVE_ENTRIES);
  const bodyBytes = perEntry - entryBytes(logEntry(1));
  const exact = [...Array<number>(FIVE_ENTRIES - 1).fill(bodyBytes), bodyBytes + (LOG_REPLY_BYTES_MAX - FIVE_ENTRIES * perEntry)];

  it('ships entries adding up to exactly the limit in one reply', () => {
    expect(served(exact)).toBe(FIVE_ENTRIES);
  });

  it('leaves the entry that would go one byte past the limit for the next reply', () => {
    expect(served([...exact.slice(0, -1), exact.at(-1)! + 1])).toBe(FIVE_ENTRIES - 1);
  });

  it('always ships at least one entry, even one larger than the limit', () => {
    expect(served([LOG_REPLY_BYTES_MAX + 1, 10])).toBe(1);
  });
});

describe('RETRANSMIT_SPAN_MAX', () => {
  it('the sequencer accepts a span of exactly RETRANSMIT_SPAN_MAX seqs, and refuses one more', () => {
    expect(decodeRetransmitBody(encodeRetransmitBody({ fromSeq: 1, toSeq: RETRANSMIT_SPAN_MAX }))).toEqual({
      fromSeq: 1,
      toSeq: RETRANSMIT_SPAN_MAX,
    });
    expect(() => decodeRetransmitBody(encodeRetransmitBody({ fromSeq: 1, toSeq: RETRANSMIT_SPAN_MAX + 1 }))).toThrow(DecodeError);
  });

  it('a replica that knows of far more missing seqs asks for the first one by one, then RETRANSMIT_SPAN_MAX of the rest at a time', () => {
    const state = follower();
    const heartbeat = encodeDatagram({
      type: MessageType.HEARTBEAT,
      group: 1,
      session: 1,
      view: 0,
      seq: 10 * RETRANSMIT_SPAN_MAX,
      commit: 0,
      requestId: 0,
      sender: 0,
      incarnation: INCARNATION,
    });
    stepReplica(state, { kind: 'datagram', from: { sequencer: 1 }, bytes: heartbeat, nowMs: 0 });
    const effects = stepReplica(state, { kind: 'tick', nowMs: PROTOCOL_TIMING.gapTimeoutMs + 1 });
    const retransmits = effects.flatMap((e) =>
      e.kind === 'send' && decodeDatagram(e.bytes).header.type === MessageType.RETRANSMIT
        ? [decodeRetransmitBody(decodeDatagram(e.bytes).body)]
        : [],
    );
    const singles = Array.from({ length: RETRANSMIT_SINGLE_ASKS_MAX }, (_, i) => ({ fromSeq: i + 1, toSeq: i + 1 }));
    const rest = RETRANSMIT_SINGLE_ASKS_MAX + 1;
    expect(retransmits).toEqual([...singles, { fromSeq: rest, toSeq: rest + RETRANSMIT_SPAN_MAX - 1 }]);
  });
});
