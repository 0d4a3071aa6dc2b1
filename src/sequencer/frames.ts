// The datagrams the sequencer originates or rewrites. Stamping only rewrites the fixed header of a copy;
// the REQUEST body is forwarded byte for byte, exactly as the XDP data plane will do it in place.
import { type Header, MessageType, writeHeader, HEADER_BYTES } from '../mrtom/header.js';
import { encodeDatagram, encodeNoopsBody } from '../mrtom/messages.js';

/** Fields the sequencer writes into every datagram it sends in a session. */
export interface Stamp {
  group: number;
  session: number;
  view: number;
  seq: number;
  commit: number;
  incarnation: number;
}

/** Sequencer-originated datagrams carry sender 0: the sequencer is not a replica or a client. */
const SEQUENCER_SENDER = 0;

/** A copy of `request` turned into ORDERED with `stamp`; the body bytes are not decoded. */
export function stampOrdered(request: Uint8Array, header: Header, stamp: Stamp): Uint8Array {
  const ordered = new Uint8Array(request); // A copy: the ring keeps it after the receive buffer is reused.
  writeHeader(ordered, { ...header, ...stamp, type: MessageType.ORDERED }, request.byteLength - HEADER_BYTES);
  return ordered;
}

/**
 * COMMIT carries the last stamped seq too, so a replica that lost the tail learns it has a gap, and the
 * leader's NO-OPs, so every replica learns the leader's gap decisions (and no submitter mistakes a NO-OPed
 * seq for its committed request).
 */
export function encodeCommitNotice(stamp: Stamp, leaderNoops: readonly number[]): Uint8Array {
  return encodeDatagram(
    { ...stamp, type: MessageType.COMMIT, requestId: 0, sender: SEQUENCER_SENDER },
    encodeNoopsBody({ noops: [...leaderNoops] }),
  );
}

export function encodeHeartbeat(stamp: Stamp, leaderNoops: readonly number[]): Uint8Array {
  return encodeDatagram(
    { ...stamp, type: MessageType.HEARTBEAT, requestId: 0, sender: SEQUENCER_SENDER },
    encodeNoopsBody({ noops: [...leaderNoops] }),
  );
}
