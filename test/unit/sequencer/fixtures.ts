// Builders shared by the sequencer unit tests: wire datagrams as replicas would send them, and a decoder
// for the sequencer's effects so assertions read in protocol terms (type, seq, commit) instead of bytes.
import { type Header, MessageType } from '../../../src/mrtom/header.js';
import { decodeDatagram, encodeNoopsBody, encodeDatagram, encodeRetransmitBody } from '../../../src/mrtom/messages.js';
import { stepSequencer } from '../../../src/sequencer/protocol.js';
import { createSequencer, type SequencerEffect, type SequencerOptions, type SequencerState } from '../../../src/sequencer/state.js';
import { leaderOf } from '../../../src/mrtom/group.js';

export const GROUP = 7;
/** The session a Harness is started in unless a test says otherwise. */
export const SESSION = 3;
/** The incarnation a Harness's sequencer runs as; replicas' ACKs carry it once bound. */
export const INCARNATION = 77;

export function options(overrides: Partial<SequencerOptions> = {}): SequencerOptions {
  return {
    group: GROUP,
    replicaIds: [1, 2, 3],
    ringCapacity: 64,
    retransmitIntervalMs: 20,
    // Fixed unless a test asks for the adaptive stretch.
    retransmitIntervalMsMax: 20,
    heartbeatIntervalMs: 50,
    resendPerTickMax: 100,
    incarnation: INCARNATION,
    datagramBytesMax: 1_400,
    ...overrides,
  };
}

function header(fields: Partial<Header> & Pick<Header, 'type'>): Header {
  const incarnation = fields.type === MessageType.ACK || fields.type === MessageType.RETRANSMIT ? INCARNATION : 0;
  return { group: GROUP, session: 0, view: 0, seq: 0, commit: 0, requestId: 0, sender: 0, incarnation, ...fields };
}

export function request(
  clientId: number,
  requestId: number,
  body: Uint8Array = new Uint8Array([clientId, requestId, 0xab]),
  session = 0,
): Uint8Array {
  return encodeDatagram(header({ type: MessageType.REQUEST, sender: clientId, requestId, session }), body);
}

export function ack(
  replica: number,
  through: number,
  fields: { view?: number; noops?: number[]; session?: number; incarnation?: number } = {},
): Uint8Array {
  const body = encodeNoopsBody({ noops: fields.noops ?? [] });
  const incarnation = fields.incarnation ?? INCARNATION;
  return encodeDatagram(
    header({
      type: MessageType.ACK,
      sender: replica,
      seq: through,
      view: fields.view ?? 0,
      session: fields.session ?? SESSION,
      incarnation,
    }),
    body,
  );
}

export function retransmitRequest(
  replica: number,
  fromSeq: number,
  toSeq: number,
  fields: { view?: number; session?: number; incarnation?: number } = {},
): Uint8Array {
  return encodeDatagram(
    header({
      type: MessageType.RETRANSMIT,
      sender: replica,
      view: fields.view ?? 0,
      session: fields.session ?? SESSION,
      incarnation: fields.incarnation ?? INCARNATION,
    }),
    encodeRetransmitBody({ fromSeq, toSeq }),
  );
}

/** The leader's SESSION_START, as sent from its replica address. */
export function sessionStart(leader: number, session: number, view: number): Uint8Array {
  return encodeDatagram(header({ type: MessageType.SESSION_START, sender: leader, session, view }));
}

export interface Sent {
  to: number;
  header: Header;
  body: Uint8Array;
}

export function decodeSends(effects: SequencerEffect[]): Sent[] {
  return effects.map((e) => ({ to: e.to, ...decodeDatagram(e.bytes) }));
}

/**
 * A sequencer driven through its public step function, with a fake clock the test moves by hand. It is
 * given SESSION in view 0 by the leader's SESSION_START, as a replica group would, unless `session` is null.
 */
export class Harness {
  readonly state: SequencerState;
  nowMs = 0;

  constructor(opts: Partial<SequencerOptions> = {}, session: { session: number; view: number } | null = { session: SESSION, view: 0 }) {
    this.state = createSequencer(options(opts));
    if (session !== null) this.startSession(session.session, session.view);
  }

  /** Sends the SESSION_START of (session, view) from that view's leader; returns the sequencer's replies. */
  startSession(session: number, view: number): Sent[] {
    const leader = leaderOf(this.state.options.replicaIds, view);
    return this.datagram(sessionStart(leader, session, view), leader);
  }

  datagram(bytes: Uint8Array, fromReplica: number | null): Sent[] {
    return decodeSends(stepSequencer(this.state, { kind: 'datagram', fromReplica, bytes, nowMs: this.nowMs }));
  }

  /** A client REQUEST submitted through replica `via`. */
  submit(count: number, via = 1): Sent[] {
    const sent: Sent[] = [];
    for (let i = 0; i < count; i += 1) sent.push(...this.datagram(request(100 + via, this.state.seqLast + 1), via));
    return sent;
  }

  /** An ACK in the session and view being served unless `fields` say otherwise. */
  ack(replica: number, through: number, fields: { view?: number; noops?: number[]; session?: number } = {}): Sent[] {
    return this.datagram(ack(replica, through, { view: this.state.view, session: this.state.session, ...fields }), replica);
  }

  /** A RETRANSMIT request in the session and view being served. */
  retransmit(replica: number, fromSeq: number, toSeq: number): Sent[] {
    return this.datagram(retransmitRequest(replica, fromSeq, toSeq, { view: this.state.view, session: this.state.session }), replica);
  }

  flush(): Sent[] {
    return decodeSends(stepSequencer(this.state, { kind: 'flush', nowMs: this.nowMs }));
  }

  tick(): Sent[] {
    return decodeSends(stepSequencer(this.state, { kind: 'tick', nowMs: this.nowMs }));
  }
}

export function ofType(sent: Sent[], type: MessageType): Sent[] {
  return sent.filter((s) => s.header.type === type);
}
