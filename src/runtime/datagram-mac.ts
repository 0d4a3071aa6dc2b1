// The MAC every datagram carries under a cluster key (docs/security.md, "Datagrams"; docs/protocol.md,
// "Wire format"). The tag is the last DATAGRAM_TAG_BYTES of the datagram and the header's bodyBytes counts
// it, so the fixed-offset header, its length check (header.ts, the XDP program's) and the sequencer's
// byte-for-byte copies stay as they are: to them the tag is the end of the body.
//
// The tag covers the header fields the sender sets and the body. A REQUEST is stamped on its way into an
// ORDERED by a sequencer that may hold no key (the XDP program), so for REQUEST and ORDERED the fields a
// sequencer writes — type (REQUEST → ORDERED), session, view, seq, commit, incarnation — are zero in what is
// MACed; every other type is MACed whole. A userspace sequencer configured with `stampMac` then appends a
// stamp tag over the whole ORDERED, submitter's tag included, so that its stamps are authenticated too.
// The keys are HMAC-SHA256(cluster key, a label of their own), so neither is the peer listener's bearer
// nor derivable from it or from each other (cluster-key.ts).
import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { HEADER_BYTES, MessageType } from '../mrtom/header.js';

/** 128 bits: a forger must guess a fresh tag per datagram, online, with every miss dropped and counted. */
export const DATAGRAM_TAG_BYTES = 16;
const DATAGRAM_KEY_LABEL = 'mrtom-kv datagram mac v1';
const STAMP_KEY_LABEL = 'mrtom-kv stamp mac v1';
const OFFSET_TYPE = 3;
/** session (8), view (12), seq (16), commit (24): contiguous up to requestId at 32. */
const STAMPED_FROM = 8;
const STAMPED_TO = 32;
const OFFSET_INCARNATION = 44;
const OFFSET_BODY_BYTES = 48;

export type DatagramMacDropReason = 'mac-missing' | 'mac-mismatch';

export function datagramKeyOf(clusterKey: Buffer): Buffer {
  return createHmac('sha256', clusterKey).update(DATAGRAM_KEY_LABEL).digest();
}

export function stampKeyOf(clusterKey: Buffer): Buffer {
  return createHmac('sha256', clusterKey).update(STAMP_KEY_LABEL).digest();
}

/** What a tag covers: the fields its sender set (a sender's tag), or every byte before it (a stamp tag). */
type TagScope = 'sender' | 'whole';

/** The tag of `bytes[0, end)`, a datagram whose bodyBytes already counts the tag. */
function tagOf(key: Buffer, bytes: Uint8Array, end: number, scope: TagScope): Buffer {
  const hmac = createHmac('sha256', key);
  const type = bytes[OFFSET_TYPE];
  if (scope === 'sender' && (type === MessageType.REQUEST || type === MessageType.ORDERED)) {
    const header = Buffer.from(bytes.subarray(0, HEADER_BYTES));
    header[OFFSET_TYPE] = MessageType.REQUEST;
    header.fill(0, STAMPED_FROM, STAMPED_TO);
    header.fill(0, OFFSET_INCARNATION, OFFSET_INCARNATION + 4);
    hmac.update(header).update(bytes.subarray(HEADER_BYTES, end));
  } else {
    hmac.update(bytes.subarray(0, end));
  }
  return hmac.digest().subarray(0, DATAGRAM_TAG_BYTES);
}

/** `datagram` (an encoded header and body) with its sender's tag appended and counted in bodyBytes. */
export function signDatagram(key: Buffer, datagram: Uint8Array): Buffer {
  return appendTag(key, datagram, 'sender');
}

/** An ORDERED (with its submitter's tag) with the stamping sequencer's tag over all of it appended. */
export function signStamp(stampKey: Buffer, ordered: Uint8Array): Buffer {
  return appendTag(stampKey, ordered, 'whole');
}

function appendTag(key: Buffer, datagram: Uint8Array, scope: TagScope): Buffer {
  assert.ok(datagram.byteLength >= HEADER_BYTES, `a datagram has a ${HEADER_BYTES}-byte header, got ${datagram.byteLength} bytes`);
  const out = Buffer.allocUnsafe(datagram.byteLength + DATAGRAM_TAG_BYTES);
  out.set(datagram, 0);
  out.writeUInt32BE(out.readUInt32BE(OFFSET_BODY_BYTES) + DATAGRAM_TAG_BYTES, OFFSET_BODY_BYTES);
  tagOf(key, out, datagram.byteLength, scope).copy(out, datagram.byteLength);
  return out;
}

/**
 * Null when the tag is the MAC of the rest under `key`. A datagram with no room for a tag (shorter than a
 * header and a tag, or a bodyBytes under the tag's length) is `mac-missing`; any other one whose last bytes
 * are not the tag is `mac-mismatch` — a wrong key, altered bytes, or an untagged body long enough to hold one.
 */
export function checkDatagramTag(key: Buffer, datagram: Buffer): DatagramMacDropReason | null {
  return checkTag(key, datagram, 'sender');
}

/** As checkDatagramTag, for the stamp tag that ends an ORDERED from a sequencer that tags its stamps. */
export function checkStampTag(stampKey: Buffer, ordered: Buffer): DatagramMacDropReason | null {
  return checkTag(stampKey, ordered, 'whole');
}

function checkTag(key: Buffer, datagram: Buffer, scope: TagScope): DatagramMacDropReason | null {
  if (datagram.byteLength < HEADER_BYTES + DATAGRAM_TAG_BYTES) return 'mac-missing';
  if (datagram.readUInt32BE(OFFSET_BODY_BYTES) < DATAGRAM_TAG_BYTES) return 'mac-missing';
  const end = datagram.byteLength - DATAGRAM_TAG_BYTES;
  return timingSafeEqual(tagOf(key, datagram, end, scope), datagram.subarray(end)) ? null : 'mac-mismatch';
}

/** A checked datagram without its tag, as the protocol decodes it; rewrites bodyBytes in place. */
export function stripDatagramTag(datagram: Buffer): Buffer {
  datagram.writeUInt32BE(datagram.readUInt32BE(OFFSET_BODY_BYTES) - DATAGRAM_TAG_BYTES, OFFSET_BODY_BYTES);
  return datagram.subarray(0, datagram.byteLength - DATAGRAM_TAG_BYTES);
}
