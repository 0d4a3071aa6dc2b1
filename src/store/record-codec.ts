// Binary encodings of the records every write touches (keys.ts: k, h, r), written and read on the hot
// path, so they are laid out by hand rather than through msgpack. Everything here was written by this
// store: a record of the wrong shape is corruption or a bug, and decoding asserts.
//   key record   flags u8 (1 content type, 2 lease) | createRevision u64 | modRevision u64 | version u64
//                | lease u64? | content type: u16 length + UTF-8? | value: the rest
//   live (k)     sub u16 of its history record | key record
//   history (h)  flags u8 (1 tombstone, 2 superseded, 4 prev) | prev revision u64 + sub u16? | key: u16
//                length + UTF-8 | key record, unless a tombstone
//   index (r)    sub u16 | tombstone u8
import assert from 'node:assert/strict';
import type { KeyRecord } from './ops.js';
import { readU64, writeU64, type HistoryPosition } from './keys.js';

const HAS_CONTENT_TYPE = 1;
const HAS_LEASE = 2;
const TOMBSTONE = 1;
const SUPERSEDED = 2;
const HAS_PREV = 4;
const FIXED_RECORD_BYTES = 1 + 8 * 3;
const U16_MAX = 0xffff;

/** One change of a key, as the history keeps it. */
export interface RevisionRecord {
  key: string;
  /** The key's record after the change; null: deleted. */
  record: KeyRecord | null;
  /** Where the key's record before this revision is in the history; null when the key was absent then. */
  prev: HistoryPosition | null;
  /** A later change of the same revision replaced this one (a txn wrote the key twice): only a watch sees it. */
  superseded: boolean;
}

/** A history record without its key record: what compaction needs to know. */
export type RevisionRecordHead = Omit<RevisionRecord, 'record'> & { tombstone: boolean };

function recordBytes(record: KeyRecord, contentTypeBytes: number): number {
  const lease = record.lease === undefined ? 0 : 8;
  const contentType = record.contentType === undefined ? 0 : 2 + contentTypeBytes;
  return FIXED_RECORD_BYTES + lease + contentType + record.value.byteLength;
}

function writeRecord(buf: Buffer, offset: number, record: KeyRecord, contentTypeBytes: number): void {
  let at = offset;
  buf[at] = (record.contentType === undefined ? 0 : HAS_CONTENT_TYPE) | (record.lease === undefined ? 0 : HAS_LEASE);
  writeU64(buf, record.createRevision, at + 1);
  writeU64(buf, record.modRevision, at + 9);
  writeU64(buf, record.version, at + 17);
  at += FIXED_RECORD_BYTES;
  if (record.lease !== undefined) {
    writeU64(buf, record.lease, at);
    at += 8;
  }
  if (record.contentType !== undefined) {
    buf.writeUInt16BE(contentTypeBytes, at);
    buf.write(record.contentType, at + 2, contentTypeBytes, 'utf8');
    at += 2 + contentTypeBytes;
  }
  buf.set(record.value, at);
}

function contentTypeBytesOf(record: KeyRecord): number {
  if (record.contentType === undefined) return 0;
  const bytes = Buffer.byteLength(record.contentType, 'utf8');
  assert.ok(bytes <= U16_MAX, `content type of ${bytes} bytes`);
  return bytes;
}

function readRecord(buf: Buffer, offset: number): KeyRecord {
  assert.ok(buf.length >= offset + FIXED_RECORD_BYTES, 'stored key record is cut short');
  const flags = buf[offset]!;
  const record: KeyRecord = {
    value: new Uint8Array(0),
    createRevision: readU64(buf, offset + 1),
    modRevision: readU64(buf, offset + 9),
    version: readU64(buf, offset + 17),
  };
  let at = offset + FIXED_RECORD_BYTES;
  if (flags & HAS_LEASE) {
    record.lease = readU64(buf, at);
    at += 8;
  }
  if (flags & HAS_CONTENT_TYPE) {
    const bytes = buf.readUInt16BE(at);
    record.contentType = buf.toString('utf8', at + 2, at + 2 + bytes);
    at += 2 + bytes;
  }
  assert.ok(at <= buf.length, 'stored key record is cut short');
  // A plain Uint8Array over the stored bytes, as every value the store hands out.
  record.value = new Uint8Array(buf.buffer, buf.byteOffset + at, buf.length - at);
  return record;
}

export function encodeLive(record: KeyRecord, sub: number): Buffer {
  const contentTypeBytes = contentTypeBytesOf(record);
  const buf = Buffer.allocUnsafe(2 + recordBytes(record, contentTypeBytes));
  buf.writeUInt16BE(sub, 0);
  writeRecord(buf, 2, record, contentTypeBytes);
  return buf;
}

export function decodeLive(buf: Buffer): { record: KeyRecord; sub: number } {
  assert.ok(buf.length >= 2, 'stored live record is cut short');
  return { sub: buf.readUInt16BE(0), record: readRecord(buf, 2) };
}

export function encodeRevisionRecord({ key, record, prev, superseded }: RevisionRecord): Buffer {
  const keyBytes = Buffer.byteLength(key, 'utf8');
  assert.ok(keyBytes <= U16_MAX, `key of ${keyBytes} bytes`);
  const contentTypeBytes = record === null ? 0 : contentTypeBytesOf(record);
  const head = 1 + (prev === null ? 0 : 10) + 2 + keyBytes;
  const buf = Buffer.allocUnsafe(head + (record === null ? 0 : recordBytes(record, contentTypeBytes)));
  buf[0] = (record === null ? TOMBSTONE : 0) | (superseded ? SUPERSEDED : 0) | (prev === null ? 0 : HAS_PREV);
  let at = 1;
  if (prev !== null) {
    writeU64(buf, prev.revision, at);
    buf.writeUInt16BE(prev.sub, at + 8);
    at += 10;
  }
  buf.writeUInt16BE(keyBytes, at);
  buf.write(key, at + 2, keyBytes, 'utf8');
  if (record !== null) writeRecord(buf, head, record, contentTypeBytes);
  return buf;
}

function readHead(buf: Buffer): { head: RevisionRecordHead; end: number } {
  const flags = buf[0]!;
  let at = 1;
  let prev: HistoryPosition | null = null;
  if (flags & HAS_PREV) {
    prev = { revision: readU64(buf, at), sub: buf.readUInt16BE(at + 8) };
    at += 10;
  }
  const keyBytes = buf.readUInt16BE(at);
  const key = buf.toString('utf8', at + 2, at + 2 + keyBytes);
  at += 2 + keyBytes;
  assert.ok(at <= buf.length, 'stored history record is cut short');
  return { head: { key, prev, superseded: (flags & SUPERSEDED) !== 0, tombstone: (flags & TOMBSTONE) !== 0 }, end: at };
}

export function decodeRevisionHead(buf: Buffer): RevisionRecordHead {
  return readHead(buf).head;
}

export function decodeRevisionRecord(buf: Buffer): RevisionRecord {
  const { head, end } = readHead(buf);
  const { tombstone, ...rest } = head;
  return { ...rest, record: tombstone ? null : readRecord(buf, end) };
}

export function encodeIndexEntry(sub: number, tombstone: boolean): Buffer {
  const buf = Buffer.allocUnsafe(3);
  buf.writeUInt16BE(sub, 0);
  buf[2] = tombstone ? 1 : 0;
  return buf;
}

export function decodeIndexEntry(buf: Buffer): { sub: number; tombstone: boolean } {
  assert.equal(buf.length, 3, 'stored revision index entry is not 3 bytes');
  return { sub: buf.readUInt16BE(0), tombstone: buf[2] === 1 };
}
