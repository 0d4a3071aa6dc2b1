// Whole datagrams: the fixed header plus a body. The sequencer only ever needs the header; REQUEST and
// ORDERED bodies are opaque operation bytes it forwards untouched.
import { HEADER_BYTES, type Header, MessageType, DecodeError, readHeader, writeHeader } from './header.js';
import { isRecord, isSeq, packBody, unpackBody } from './body.js';

export interface Datagram {
  header: Header;
  body: Uint8Array;
}

const EMPTY_BODY = new Uint8Array(0);

export function encodeDatagram(header: Header, body: Uint8Array = EMPTY_BODY): Buffer {
  const out = Buffer.allocUnsafe(HEADER_BYTES + body.byteLength);
  writeHeader(out, header, body.byteLength);
  out.set(body, HEADER_BYTES);
  return out;
}

/** Decodes a datagram; the body is a view into `bytes`, not a copy. Throws DecodeError. */
export function decodeDatagram(bytes: Uint8Array): Datagram {
  const header = readHeader(bytes);
  return { header, body: bytes.subarray(HEADER_BYTES) };
}

/** Body of ACK, COMMIT and HEARTBEAT: seqs of the current session held as NO-OPs (gap agreement).
 *  In an ACK: the sender's NO-OPs at or below its `through`. In COMMIT/HEARTBEAT: the leader's, relayed
 *  by the sequencer so every replica learns the leader's decisions (docs/protocol.md). */
export interface NoopsBody {
  noops: number[];
}

/** Gap agreements per session are rare; past this many the leader starts a new session instead. */
export const NOOPS_PER_SESSION_MAX = 256;

/** RETRANSMIT body: an inclusive range of seqs the replica is missing. */
export interface RetransmitBody {
  fromSeq: number;
  toSeq: number;
}

export const RETRANSMIT_SPAN_MAX = 4096;

export function encodeNoopsBody(body: NoopsBody): Uint8Array {
  return body.noops.length === 0 ? EMPTY_BODY : packBody(body);
}

export function decodeNoopsBody(bytes: Uint8Array): NoopsBody {
  if (bytes.byteLength === 0) return { noops: [] };
  const value = unpackBody(bytes);
  if (!isRecord(value) || !Array.isArray(value.noops) || !value.noops.every(isSeq)) {
    throw new DecodeError('body', 'body must be {noops: seq[]}');
  }
  if (value.noops.length > NOOPS_PER_SESSION_MAX) throw new DecodeError('body', `more than ${NOOPS_PER_SESSION_MAX} NO-OPs`);
  return { noops: value.noops };
}

export function encodeRetransmitBody(body: RetransmitBody): Uint8Array {
  return packBody(body);
}

export function decodeRetransmitBody(bytes: Uint8Array): RetransmitBody {
  const value = unpackBody(bytes);
  if (!isRecord(value) || !isSeq(value.fromSeq) || !isSeq(value.toSeq)) {
    throw new DecodeError('body', 'RETRANSMIT body must be {fromSeq, toSeq}');
  }
  if (value.fromSeq < 1 || value.toSeq < value.fromSeq || value.toSeq - value.fromSeq >= RETRANSMIT_SPAN_MAX) {
    throw new DecodeError('body', `RETRANSMIT range ${value.fromSeq}..${value.toSeq} is empty or too wide`);
  }
  return { fromSeq: value.fromSeq, toSeq: value.toSeq };
}

export { MessageType };
