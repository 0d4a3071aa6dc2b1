// The write-ahead log's record framing and contents. A record is [u32 payload bytes][u32 crc32 of the
// payload][payload], big-endian; a payload is never empty, so a zero length marks the zero-filled end of a
// segment, and a length or checksum that does not hold marks a torn write (cut at recovery). The payload
// is msgpack: a batch of log entries (a later one for a slot replaces an earlier one: that is how gap
// agreement turns a request into a NO-OP) or "discard everything past this slot" (a view change's truncation).
import assert from 'node:assert/strict';
import { crc32 } from 'node:zlib';
import type { LogEntry } from '../../consensus/log-entry.js';
import { isRecord, isSeq, packBody, unpackBody } from '../../mrtom/body.js';
import { plainBytes } from '../codec.js';

export const RECORD_HEADER_BYTES = 8;
/** A generous bound on an entry's encoding beyond its body (eight small integers and msgpack framing). */
export const ENTRY_OVERHEAD_BYTES_MAX = 80;

export type WalRecord = { kind: 'entries'; entries: LogEntry[] } | { kind: 'truncate'; afterSlot: number };

export function encodeRecord(record: WalRecord): Uint8Array {
  const payload = packBody(record.kind === 'entries' ? { e: record.entries.map(entryTuple) } : { t: record.afterSlot });
  const framed = Buffer.allocUnsafe(RECORD_HEADER_BYTES + payload.byteLength);
  framed.writeUInt32BE(payload.byteLength, 0);
  framed.writeUInt32BE(crc32(payload), 4);
  framed.set(payload, RECORD_HEADER_BYTES);
  return framed;
}

export interface DecodedSegment {
  records: WalRecord[];
  /** Where the valid records end: the next append goes here. */
  endOffset: number;
  /** Bytes from `endOffset` up to the last non-zero byte: what is left of a torn write (0 for a clean end). */
  dirtyBytes: number;
}

/**
 * The records of one segment's bytes, in order, up to the zero-filled end or the first record whose
 * length or checksum does not hold (a torn write: only a crash mid-write leaves one, and nothing valid
 * can follow it, since every later write waited for it). `scanTail: false` skips looking for stray bytes
 * past a zero length (a torn write whose first sector never landed): `dirtyBytes` is then only non-zero
 * for a record that does not hold.
 */
export function decodeSegment(bytes: Uint8Array, scanTail = true): DecodedSegment {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const records: WalRecord[] = [];
  let offset = 0;
  while (offset + RECORD_HEADER_BYTES <= view.length) {
    const length = view.readUInt32BE(offset);
    if (length === 0 && !scanTail) return { records, endOffset: offset, dirtyBytes: 0 };
    const end = offset + RECORD_HEADER_BYTES + length;
    if (length === 0 || end > view.length) break;
    const payload = view.subarray(offset + RECORD_HEADER_BYTES, end);
    if (crc32(payload) !== view.readUInt32BE(offset + 4)) break;
    records.push(decodePayload(payload));
    offset = end;
  }
  let last = view.length;
  while (last > offset && view[last - 1] === 0) last -= 1;
  return { records, endOffset: offset, dirtyBytes: last - offset };
}

/** An entry as compact as msgpack allows: a tuple, the body as binary. */
function entryTuple(entry: LogEntry): unknown[] {
  return [entry.slot, entry.session, entry.seq, entry.view, entry.clientId, entry.requestId, entry.noop, entry.body];
}

/** A payload whose checksum held was written by this log: a wrong shape is corruption, an assertion. */
function decodePayload(payload: Uint8Array): WalRecord {
  const value = unpackBody(payload);
  if (isRecord(value) && isSeq(value.t)) return { kind: 'truncate', afterSlot: value.t };
  assert.ok(isRecord(value) && Array.isArray(value.e), 'write-ahead log record is neither entries nor a truncation');
  return { kind: 'entries', entries: value.e.map(entryOf) };
}

function entryOf(tuple: unknown): LogEntry {
  assert.ok(Array.isArray(tuple) && tuple.length === 8, 'write-ahead log entry is not an 8-tuple');
  const [slot, session, seq, view, clientId, requestId, noop, body] = tuple as unknown[];
  for (const field of [slot, session, seq, view, clientId, requestId])
    assert.ok(isSeq(field), 'write-ahead log entry field is not a non-negative integer');
  assert.ok(typeof noop === 'boolean' && body instanceof Uint8Array, 'write-ahead log entry has no noop flag or body');
  return {
    slot: slot as number,
    session: session as number,
    seq: seq as number,
    view: view as number,
    clientId: clientId as number,
    requestId: requestId as number,
    noop,
    body: plainBytes(body),
  };
}
