// Bodies of the replica-to-replica messages (the slow path) and their strict decoding. The fixed header
// carries type, group, (view, session) and sender; these bodies carry the rest as msgpack.
import { DecodeError, MessageType, type Header } from '../mrtom/header.js';
import { isRecord, isSeq, packBody, seqFields, unpackBody } from '../mrtom/body.js';
import { encodeDatagram, NOOPS_PER_SESSION_MAX } from '../mrtom/messages.js';
import type { LogEntry } from './log-entry.js';

/** A replica's log as it reports it in a view change. */
export interface ViewChangeBody {
  lastNormalView: number;
  lastNormalSession: number;
  /** sessionBase of the last normal session. */
  lastNormalBase: number;
  through: number;
  commit: number;
  /** Slots above lastNormalBase held as NO-OPs. */
  noops: number[];
}

export interface StartViewBody {
  sequencerId: number;
  /** The merged log ends here; the new session's seq 1 is the next slot. */
  sessionBase: number;
  /** Every slot at or below it is committed. */
  commit: number;
  /** The (view, session) whose logs were merged, and that session's base. */
  mergedView: number;
  mergedSession: number;
  mergedBase: number;
  /** NO-OP slots of the merged session. */
  noops: number[];
}

export interface LogRequestBody {
  fromSlot: number;
  toSlot: number;
  /** Slots above it must hold entries of the requester's session (header.session): a peer that has not
   *  installed the requester's view may still hold another session's entries there. */
  sessionBase: number;
}

export interface LogReplyBody {
  /** Contiguous entries from the requested fromSlot; empty if the sender lacks fromSlot. */
  entries: LogEntry[];
  /** Oldest slot the sender still holds; a requester below it needs a snapshot. */
  firstSlot: number;
  through: number;
}

export interface SyncBody {
  commit: number;
  through: number;
  /** The sequencer incarnation the leader bound this session to (0: none yet). */
  incarnation: number;
  /** The leader's NO-OP seqs in the current session. */
  noops: number[];
}

export interface RecoveryBody {
  nonce: number;
}

export interface RecoveryReplyBody {
  nonce: number;
  sequencerId: number;
  sessionBase: number;
  commit: number;
  through: number;
}

/** A LOG_REPLY stays below this many bytes of entries (plus always at least one entry). */
export const LOG_REPLY_BYTES_MAX = 60_000;
const ENTRY_OVERHEAD_BYTES = 64;

export function entryBytes(entry: LogEntry): number {
  return entry.body.byteLength + ENTRY_OVERHEAD_BYTES;
}

function fail(type: string): never {
  throw new DecodeError('body', `malformed ${type} body`);
}

function record(bytes: Uint8Array, type: string): Record<string, unknown> {
  const value = bytes.byteLength === 0 ? {} : unpackBody(bytes);
  if (!isRecord(value)) fail(type);
  return value;
}

/** A NO-OP list: of one session (the leader decides at most NOOPS_PER_SESSION_MAX per session). */
function noopList(value: unknown, type: string): number[] {
  if (!Array.isArray(value) || value.length > NOOPS_PER_SESSION_MAX || !value.every(isSeq)) fail(type);
  return value;
}

function numbers<K extends string>(value: Record<string, unknown>, keys: readonly K[], type: string): Record<K, number> {
  return seqFields(value, keys, () => fail(type));
}

function decodeEntry(value: unknown): LogEntry {
  if (!isRecord(value) || typeof value.noop !== 'boolean' || !(value.body instanceof Uint8Array)) fail('log entry');
  const n = numbers(value, ['slot', 'session', 'seq', 'view', 'clientId', 'requestId'] as const, 'log entry');
  return { ...n, body: new Uint8Array(value.body), noop: value.noop };
}

export function decodeViewChange(bytes: Uint8Array): ViewChangeBody {
  const v = record(bytes, 'VIEW_CHANGE');
  return {
    ...numbers(v, ['lastNormalView', 'lastNormalSession', 'lastNormalBase', 'through', 'commit'] as const, 'VIEW_CHANGE'),
    noops: noopList(v.noops, 'VIEW_CHANGE'),
  };
}

export function decodeStartView(bytes: Uint8Array): StartViewBody {
  const v = record(bytes, 'START_VIEW');
  return {
    ...numbers(v, ['sequencerId', 'sessionBase', 'commit', 'mergedView', 'mergedSession', 'mergedBase'] as const, 'START_VIEW'),
    noops: noopList(v.noops, 'START_VIEW'),
  };
}

export function decodeLogRequest(bytes: Uint8Array): LogRequestBody {
  const v = numbers(record(bytes, 'LOG_REQUEST'), ['fromSlot', 'toSlot', 'sessionBase'] as const, 'LOG_REQUEST');
  if (v.fromSlot < 1 || v.toSlot < v.fromSlot) fail('LOG_REQUEST');
  return v;
}

export function decodeLogReply(bytes: Uint8Array): LogReplyBody {
  const v = record(bytes, 'LOG_REPLY');
  if (!Array.isArray(v.entries)) fail('LOG_REPLY');
  return { ...numbers(v, ['firstSlot', 'through'] as const, 'LOG_REPLY'), entries: v.entries.map(decodeEntry) };
}

export function decodeSync(bytes: Uint8Array): SyncBody {
  const v = record(bytes, 'SYNC');
  return { ...numbers(v, ['commit', 'through', 'incarnation'] as const, 'SYNC'), noops: noopList(v.noops, 'SYNC') };
}

export function decodeRecovery(bytes: Uint8Array): RecoveryBody {
  return numbers(record(bytes, 'RECOVERY'), ['nonce'] as const, 'RECOVERY');
}

export function decodeRecoveryReply(bytes: Uint8Array): RecoveryReplyBody {
  return numbers(record(bytes, 'RECOVERY_REPLY'), ['nonce', 'sequencerId', 'sessionBase', 'commit', 'through'] as const, 'RECOVERY_REPLY');
}

/** Encodes a replica-to-replica message. */
export function encodePeerMessage(
  type: MessageType,
  from: { group: number; view: number; session: number; sender: number },
  body?: object,
): Uint8Array {
  const header: Header = {
    type,
    group: from.group,
    session: from.session,
    view: from.view,
    seq: 0,
    commit: 0,
    requestId: 0,
    sender: from.sender,
  };
  return encodeDatagram(header, body === undefined ? undefined : packBody(body));
}
