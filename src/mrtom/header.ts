// The fixed MRTOM datagram header (docs/design.md §2). Network byte order, fixed offsets, so a sequencer (the
// userspace one or the XDP one) can stamp and route a datagram without decoding its msgpack body.
//
//   off size field
//     0   2  magic      0x4D54 ("MT")
//     2   1  version    1
//     3   1  type       MessageType
//     4   4  group      replica group id
//     8   4  session    sequencer session (0 = not stamped yet)
//    12   4  view       sender's view
//    16   8  seq        stamped seq (ORDERED), cumulative `through` (ACK), last stamped (HEARTBEAT)
//    24   8  commit     commit point known to the sender (piggybacked on ORDERED, COMMIT, HEARTBEAT)
//    32   8  requestId  submitter's request id (REQUEST/ORDERED)
//    40   4  sender     client id (REQUEST/ORDERED) or replica id (ACK, RETRANSMIT)
//    44   4  incarnation the sequencer process that stamped (ORDERED, COMMIT, HEARTBEAT), or the one
//                       the sender's log for this session is bound to (ACK, RETRANSMIT); 0 = none
//    48   4  bodyBytes  length of the msgpack body that follows
//
// u64 fields are carried as JS numbers: a value above Number.MAX_SAFE_INTEGER is rejected as malformed
// (2^53 seqs is ~285 years at a million writes per second).

export const HEADER_MAGIC = 0x4d54;
export const HEADER_VERSION = 1;
export const HEADER_BYTES = 52;

export enum MessageType {
  // MRTOM: submitters, sequencer and replicas.
  REQUEST = 1,
  ORDERED = 2,
  ACK = 3,
  COMMIT = 4,
  RETRANSMIT = 5,
  HEARTBEAT = 6,
  /** Leader → sequencer: serve this (view, session) from seq 1 (docs/design.md §3, session change). */
  SESSION_START = 7,
  // MRTOM-Paxos: replica to replica (the slow path).
  VIEW_CHANGE_REQUEST = 18,
  VIEW_CHANGE = 19,
  START_VIEW = 20,
  START_VIEW_REPLY = 21,
  LOG_REQUEST = 22,
  LOG_REPLY = 23,
  SYNC = 24,
  RECOVERY = 25,
  RECOVERY_REPLY = 26,
  /** "Would you join a view change to (view, session)?", before a replica moves its view (pre-vote.ts). */
  PRE_VOTE = 27,
  PRE_VOTE_REPLY = 28,
}

const MESSAGE_TYPES: ReadonlySet<number> = new Set(Object.values(MessageType).filter((v) => typeof v === 'number'));

export interface Header {
  type: MessageType;
  group: number;
  session: number;
  view: number;
  seq: number;
  commit: number;
  requestId: number;
  sender: number;
  /** Random per sequencer process start; 0 when not applicable. Optional when writing (0). */
  incarnation?: number;
}

export type DecodeErrorReason = 'short' | 'magic' | 'version' | 'type' | 'length' | 'range' | 'body';

/** A datagram that is not a well-formed MRTOM message; receivers count it by `reason` and drop it. */
export class DecodeError extends Error {
  constructor(
    readonly reason: DecodeErrorReason,
    message: string,
  ) {
    super(message);
    this.name = 'DecodeError';
  }
}

/** The largest value of every u32 header field. */
export const U32_MAX = 0xffff_ffff;

function assertU32(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > U32_MAX) {
    throw new RangeError(`${name} must be a u32, got ${value}`);
  }
}

function assertU53(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${name} must be a non-negative safe integer, got ${value}`);
  }
}

function writeU64(view: DataView, offset: number, value: number): void {
  view.setUint32(offset, Math.floor(value / 2 ** 32));
  view.setUint32(offset + 4, value >>> 0);
}

function readU64(view: DataView, offset: number, field: string): number {
  const high = view.getUint32(offset);
  const low = view.getUint32(offset + 4);
  if (high > 0x1f_ffff) throw new DecodeError('range', `${field} exceeds 2^53`);
  return high * 2 ** 32 + low;
}

/** Writes `header` and the body length into the first HEADER_BYTES of `target`. */
export function writeHeader(target: Uint8Array, header: Header, bodyBytes: number): void {
  assertU32('group', header.group);
  assertU32('session', header.session);
  assertU32('view', header.view);
  assertU32('sender', header.sender);
  assertU32('incarnation', header.incarnation ?? 0);
  assertU32('bodyBytes', bodyBytes);
  assertU53('seq', header.seq);
  assertU53('commit', header.commit);
  assertU53('requestId', header.requestId);
  const view = new DataView(target.buffer, target.byteOffset, HEADER_BYTES);
  view.setUint16(0, HEADER_MAGIC);
  view.setUint8(2, HEADER_VERSION);
  view.setUint8(3, header.type);
  view.setUint32(4, header.group);
  view.setUint32(8, header.session);
  view.setUint32(12, header.view);
  writeU64(view, 16, header.seq);
  writeU64(view, 24, header.commit);
  writeU64(view, 32, header.requestId);
  view.setUint32(40, header.sender);
  view.setUint32(44, header.incarnation ?? 0);
  view.setUint32(48, bodyBytes);
}

/** Reads and validates the header of `datagram`; throws DecodeError on anything malformed. */
export function readHeader(datagram: Uint8Array): Header {
  if (datagram.byteLength < HEADER_BYTES) {
    throw new DecodeError('short', `datagram of ${datagram.byteLength} bytes is shorter than the header`);
  }
  const view = new DataView(datagram.buffer, datagram.byteOffset, HEADER_BYTES);
  if (view.getUint16(0) !== HEADER_MAGIC) throw new DecodeError('magic', 'bad magic');
  if (view.getUint8(2) !== HEADER_VERSION) throw new DecodeError('version', `unsupported version ${view.getUint8(2)}`);
  const type = view.getUint8(3);
  if (!MESSAGE_TYPES.has(type)) throw new DecodeError('type', `unknown type ${type}`);
  const bodyBytes = view.getUint32(48);
  if (bodyBytes !== datagram.byteLength - HEADER_BYTES) {
    throw new DecodeError('length', `body length ${bodyBytes} does not match datagram of ${datagram.byteLength} bytes`);
  }
  return {
    type,
    group: view.getUint32(4),
    session: view.getUint32(8),
    view: view.getUint32(12),
    seq: readU64(view, 16, 'seq'),
    commit: readU64(view, 24, 'commit'),
    requestId: readU64(view, 32, 'requestId'),
    sender: view.getUint32(40),
    incarnation: view.getUint32(44),
  };
}
