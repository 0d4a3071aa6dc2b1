// Proves the datagram MAC (src/runtime/datagram-mac.ts, datagram-guard.ts): a tagged datagram passes only
// under the same key and unaltered in every byte its sender set, a REQUEST still passes once a sequencer
// stamped it into an ORDERED (the stamped fields are outside its MAC, nothing else is), a stamp tag covers
// the stamped fields too, and each drop is counted by reason. How: real datagrams from the wire-format
// encoders and the sequencer's own stampOrdered.
import { describe, expect, it } from 'vitest';
import { HEADER_BYTES, MessageType, type Header } from '../../../src/mrtom/header.js';
import { decodeDatagram, encodeDatagram, encodeNoopsBody } from '../../../src/mrtom/messages.js';
import { stampOrdered } from '../../../src/sequencer/frames.js';
import { peerAuthorizationOf } from '../../../src/runtime/cluster-key.js';
import { DatagramGuard } from '../../../src/runtime/datagram-guard.js';
import {
  checkDatagramTag,
  checkStampTag,
  DATAGRAM_TAG_BYTES,
  datagramKeyOf,
  signDatagram,
  signStamp,
  stampKeyOf,
  stripDatagramTag,
} from '../../../src/runtime/datagram-mac.js';

const CLUSTER_KEY = Buffer.from('a cluster key of more than sixteen bytes');
const OTHER_KEY = Buffer.from('another cluster key, same length, no!!!');
const KEY = datagramKeyOf(CLUSTER_KEY);
const STAMP_KEY = stampKeyOf(CLUSTER_KEY);

const REQUEST: Header = { type: MessageType.REQUEST, group: 7, session: 0, view: 0, seq: 0, commit: 0, requestId: 41, sender: 9 };
const ACK: Header = { type: MessageType.ACK, group: 7, session: 3, view: 2, seq: 120, commit: 0, requestId: 0, sender: 2, incarnation: 5 };
const OPERATION = Buffer.from('an operation body, opaque to the sequencer');

/** Byte offsets a sequencer writes when it stamps (besides the type, REQUEST → ORDERED): session, view,
 *  seq, commit, incarnation. */
const STAMPED = new Set([...range(8, 32), ...range(44, 48)]);

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

function flipped(bytes: Buffer, offset: number): Buffer {
  const copy = Buffer.from(bytes);
  copy[offset] = copy[offset]! ^ 0x01;
  return copy;
}

describe('datagram MAC', () => {
  it('passes a tagged datagram under the same key, and stripping the tag gives back the datagram', () => {
    const plain = encodeDatagram(ACK, encodeNoopsBody({ noops: [118] }));
    const signed = signDatagram(KEY, plain);
    expect(signed.byteLength).toBe(plain.byteLength + DATAGRAM_TAG_BYTES);
    expect(() => decodeDatagram(signed)).not.toThrow(); // bodyBytes counts the tag: the format still holds
    expect(checkDatagramTag(KEY, signed)).toBeNull();
    expect(stripDatagramTag(Buffer.from(signed))).toEqual(plain);
  });

  it('refuses a datagram tagged under another key as mac-mismatch', () => {
    const signed = signDatagram(datagramKeyOf(OTHER_KEY), encodeDatagram(ACK));
    expect(checkDatagramTag(KEY, signed)).toBe('mac-mismatch');
  });

  it('derives keys that are neither the peer listener bearer nor each other', () => {
    expect(peerAuthorizationOf(CLUSTER_KEY)).not.toContain(KEY.toString('base64url'));
    expect(peerAuthorizationOf(CLUSTER_KEY)).not.toContain(STAMP_KEY.toString('base64url'));
    expect(STAMP_KEY).not.toEqual(KEY);
  });

  it('calls an untagged datagram mac-missing when it has no room for a tag, mac-mismatch when its body could hold one', () => {
    expect(checkDatagramTag(KEY, encodeDatagram(ACK))).toBe('mac-missing');
    expect(checkDatagramTag(KEY, encodeDatagram(ACK, Buffer.alloc(DATAGRAM_TAG_BYTES - 1)))).toBe('mac-missing');
    expect(checkDatagramTag(KEY, Buffer.alloc(HEADER_BYTES + DATAGRAM_TAG_BYTES - 1))).toBe('mac-missing');
    expect(checkDatagramTag(KEY, encodeDatagram(REQUEST, OPERATION))).toBe('mac-mismatch');
  });

  it('covers every byte of a datagram that no sequencer stamps (an ACK)', () => {
    const signed = signDatagram(KEY, encodeDatagram(ACK, encodeNoopsBody({ noops: [118] })));
    for (let offset = 0; offset < signed.byteLength; offset++) {
      expect(checkDatagramTag(KEY, flipped(signed, offset)), `byte ${offset}`).not.toBeNull();
    }
  });

  it('covers every byte of a REQUEST but the fields a sequencer stamps', () => {
    const signed = signDatagram(KEY, encodeDatagram(REQUEST, OPERATION));
    for (let offset = 0; offset < signed.byteLength; offset++) {
      const verdict = checkDatagramTag(KEY, flipped(signed, offset));
      if (STAMPED.has(offset)) expect(verdict, `byte ${offset} is stamped`).toBeNull();
      else expect(verdict, `byte ${offset}`).not.toBeNull();
    }
    // Its type may become ORDERED and nothing else: a REQUEST's tag makes no ACK.
    for (const type of [MessageType.ORDERED, MessageType.ACK, MessageType.COMMIT, MessageType.SESSION_START]) {
      const retyped = Buffer.from(signed);
      retyped[3] = type;
      expect(checkDatagramTag(KEY, retyped), MessageType[type]).toBe(type === MessageType.ORDERED ? null : 'mac-mismatch');
    }
  });

  it('passes a REQUEST stamped into an ORDERED by the sequencer, with its tag byte for byte', () => {
    const request = signDatagram(KEY, encodeDatagram(REQUEST, OPERATION));
    const header = decodeDatagram(request).header;
    const ordered = Buffer.from(stampOrdered(request, header, { group: 7, session: 4, view: 3, seq: 99, commit: 97, incarnation: 12 }));
    expect(ordered.subarray(HEADER_BYTES)).toEqual(request.subarray(HEADER_BYTES));
    expect(decodeDatagram(ordered).header).toMatchObject({ type: MessageType.ORDERED, session: 4, seq: 99, requestId: 41, sender: 9 });
    expect(checkDatagramTag(KEY, ordered)).toBeNull();
    // The operation, the submitter's identity and the length stay covered after stamping.
    for (const offset of [32, 40, 48, HEADER_BYTES])
      expect(checkDatagramTag(KEY, flipped(ordered, offset)), `byte ${offset}`).not.toBeNull();
  });
});

describe('stamp tag', () => {
  const request = signDatagram(KEY, encodeDatagram(REQUEST, OPERATION));
  const stamp = { group: 7, session: 4, view: 3, seq: 99, commit: 97, incarnation: 12 };
  const ordered = Buffer.from(stampOrdered(request, decodeDatagram(request).header, stamp));

  it('covers every byte of the ORDERED, the stamped fields and the submitter tag included', () => {
    const tagged = signStamp(STAMP_KEY, ordered);
    expect(checkStampTag(STAMP_KEY, tagged)).toBeNull();
    for (let offset = 0; offset < tagged.byteLength; offset++) {
      expect(checkStampTag(STAMP_KEY, flipped(tagged, offset)), `byte ${offset}`).not.toBeNull();
    }
    expect(checkStampTag(KEY, tagged)).toBe('mac-mismatch');
  });

  it('refuses, where stamps must be tagged, a genuine ORDERED re-stamped without one, and admits the tagged one', () => {
    const replica = new DatagramGuard(CLUSTER_KEY, false);
    const restamped = Buffer.from(stampOrdered(request, decodeDatagram(request).header, { ...stamp, seq: 100 }));
    expect(checkDatagramTag(KEY, restamped)).toBeNull(); // the submitter's tag alone cannot tell
    expect(replica.admit(Buffer.from(restamped), true)).toBeNull();
    expect(replica.admit(Buffer.from(signStamp(datagramKeyOf(OTHER_KEY), restamped)), true)).toBeNull();
    const admitted = replica.admit(Buffer.from(signStamp(STAMP_KEY, ordered)), true);
    expect(decodeDatagram(admitted!)).toEqual(decodeDatagram(stripDatagramTag(Buffer.from(ordered))));
    expect(replica.drops()).toEqual({ 'mac-missing': 0, 'mac-mismatch': 2 });
  });

  it('is what a sequencer guard appends to an ORDERED it sends', () => {
    const sequencer = new DatagramGuard(CLUSTER_KEY, true);
    expect(sequencer.signStamped(ordered)).toEqual(signStamp(STAMP_KEY, ordered));
  });
});

describe('datagram guard', () => {
  it('admits what its peers signed without the tag, and counts each drop by reason', () => {
    const guard = new DatagramGuard(CLUSTER_KEY, false);
    const peer = new DatagramGuard(CLUSTER_KEY, false);
    const stranger = new DatagramGuard(OTHER_KEY, false);
    const plain = encodeDatagram(ACK);
    expect(guard.admit(Buffer.from(peer.sign(plain)))).toEqual(plain);
    expect(guard.admit(Buffer.from(stranger.sign(plain)))).toBeNull();
    expect(guard.admit(Buffer.from(plain))).toBeNull();
    expect(guard.admit(Buffer.from(stranger.sign(encodeDatagram(REQUEST, OPERATION))))).toBeNull();
    expect(guard.drops()).toEqual({ 'mac-missing': 1, 'mac-mismatch': 2 });
  });

  it('keeps the tag of a REQUEST where asked (a sequencer), and of nothing else', () => {
    const sequencer = new DatagramGuard(CLUSTER_KEY, true);
    const replica = new DatagramGuard(CLUSTER_KEY, false);
    const request = replica.sign(encodeDatagram(REQUEST, OPERATION));
    expect(sequencer.admit(Buffer.from(request))).toEqual(request);
    expect(sequencer.admit(Buffer.from(replica.sign(encodeDatagram(ACK))))).toEqual(encodeDatagram(ACK));
    expect(replica.admit(Buffer.from(request))).toEqual(encodeDatagram(REQUEST, OPERATION));
  });

  it('signs one datagram once however often it is sent, and each new one afresh', () => {
    const guard = new DatagramGuard(CLUSTER_KEY, false);
    const first = encodeDatagram(ACK);
    const second = encodeDatagram({ ...ACK, seq: 121 });
    const signed = guard.sign(first);
    expect(guard.sign(first)).toBe(signed);
    expect(checkDatagramTag(KEY, guard.sign(second))).toBeNull();
    expect(guard.sign(second).subarray(-DATAGRAM_TAG_BYTES)).not.toEqual(signed.subarray(-DATAGRAM_TAG_BYTES));
  });
});
