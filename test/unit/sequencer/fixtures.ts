// Builders shared by the sequencer unit tests: wire datagrams as replicas would send them, and a decoder
// for the sequencer's effects so assertions read in protocol terms (type, seq, commit) instead of bytes.
import { type Header, MessageType } from '../../../src/mrtom/header.js';
import { decodeDatagram, encodeAckBody, encodeDatagram, encodeRetransmitBody } from '../../../src/mrtom/messages.js';
import { createSequencer, stepSequencer, type SequencerEffect, type SequencerOptions, type SequencerState } from '../../../src/sequencer/protocol.js';

export const GROUP = 7;
export const SESSION = 3;

export function options(overrides: Partial<SequencerOptions> = {}): SequencerOptions {
  return {
    group: GROUP,
    session: SESSION,
    replicaIds: [1, 2, 3],
    ringCapacity: 64,
    retransmitIntervalMs: 20,
    heartbeatIntervalMs: 50,
    resendPerTickMax: 100,
    ...overrides,
  };
}

function header(fields: Partial<Header> & Pick<Header, 'type'>): Header {
  return { group: GROUP, session: 0, view: 0, seq: 0, commit: 0, requestId: 0, sender: 0, ...fields };
}

export function request(clientId: number, requestId: number, body: Uint8Array = new Uint8Array([clientId, requestId, 0xab]), session = 0): Uint8Array {
  return encodeDatagram(header({ type: MessageType.REQUEST, sender: clientId, requestId, session }), body);
}

export function ack(replica: number, through: number, fields: { view?: number; noops?: number[]; session?: number } = {}): Uint8Array {
  const body = encodeAckBody({ noops: fields.noops ?? [] });
  return encodeDatagram(header({ type: MessageType.ACK, sender: replica, seq: through, view: fields.view ?? 0, session: fields.session ?? SESSION }), body);
}

export function retransmitRequest(replica: number, fromSeq: number, toSeq: number): Uint8Array {
  return encodeDatagram(header({ type: MessageType.RETRANSMIT, sender: replica, session: SESSION }), encodeRetransmitBody({ fromSeq, toSeq }));
}

export interface Sent {
  to: number;
  header: Header;
  body: Uint8Array;
}

export function decodeSends(effects: SequencerEffect[]): Sent[] {
  return effects.map((e) => ({ to: e.to, ...decodeDatagram(e.bytes) }));
}

/** A sequencer driven through its public step function, with a fake clock the test moves by hand. */
export class Harness {
  readonly state: SequencerState;
  nowMs = 0;

  constructor(opts: Partial<SequencerOptions> = {}) {
    this.state = createSequencer(options(opts));
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

  ack(replica: number, through: number, fields: { view?: number; noops?: number[] } = {}): Sent[] {
    return this.datagram(ack(replica, through, fields), replica);
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
