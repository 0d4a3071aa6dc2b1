// Splitting a put or txn too large for one REQUEST into pieces (docs/protocol.md, "Large values"): piece
// ops carrying leading value bytes, then the op itself, naming the pieces before it. A put keeps the tail
// of its value; a txn sends all its put values as pieces (in branch order) and keeps its keys, compares
// and the values' lengths. Request ids are consecutive from `first`, which names the assembly on every
// replica (src/store/pieces.ts).
import assert from 'node:assert/strict';
import { type HeldPieces, type KvOp, PIECES_PER_PUT_MAX, type SplittableOp, type TxnOp } from '../store/ops.js';

export interface PieceCapacity {
  /** Value bytes one piece op carries at most (alone in its REQUEST). */
  pieceBytes: number;
  /** Bytes a lone REQUEST has left beside `last` (negative: it does not fit even so). */
  roomBeside(last: KvOp): number;
}

const EMPTY = new Uint8Array(0);

/** The largest `held` an op of this split can name, for sizing it before the pieces are counted. */
const heldAtMost = (first: number): HeldPieces => ({ first, pieces: PIECES_PER_PUT_MAX });

/** The ops of a split put or txn, for request ids first, first + 1, ...; the last is the op itself. A
 *  string says why it cannot be split. */
export function splitOp(op: SplittableOp, first: number, capacity: PieceCapacity): KvOp[] | string {
  assert.ok(op.held === undefined, 'a split op is not split again');
  assert.ok(capacity.pieceBytes > 0, 'a piece carries at least one byte');
  const parts = op.type === 'put' ? splitPutValue(op, first, capacity) : splitTxnValues(op, first, capacity);
  if (typeof parts === 'string') return parts;
  const pieces = Math.ceil(parts.lead.byteLength / capacity.pieceBytes);
  assert.ok(pieces >= 1, 'only an op that does not fit alone is split');
  if (pieces + 1 > PIECES_PER_PUT_MAX) {
    return `it would take ${pieces + 1} datagrams of at most ${capacity.pieceBytes} value bytes, over the ${PIECES_PER_PUT_MAX}-piece limit`;
  }
  const ops: KvOp[] = [];
  for (let index = 0; index < pieces; index++) {
    const bytes = parts.lead.subarray(index * capacity.pieceBytes, (index + 1) * capacity.pieceBytes);
    ops.push({ type: 'piece', first, index, bytes });
  }
  ops.push(parts.last({ first, pieces }));
  return ops;
}

interface Parts {
  /** The bytes the pieces carry, in order. */
  lead: Uint8Array;
  last(held: HeldPieces): KvOp;
}

function splitPutValue(op: Extract<KvOp, { type: 'put' }>, first: number, capacity: PieceCapacity): Parts | string {
  const room = capacity.roomBeside({ ...op, value: EMPTY, held: heldAtMost(first) });
  if (room < 0) return 'the key and content type alone leave no room in a datagram';
  const leadBytes = op.value.byteLength - Math.min(room, op.value.byteLength);
  return { lead: op.value.subarray(0, leadBytes), last: (held) => ({ ...op, value: op.value.subarray(leadBytes), held }) };
}

function splitTxnValues(op: Extract<KvOp, { type: 'txn' }>, first: number, capacity: PieceCapacity): Parts | string {
  const values: Uint8Array[] = [];
  const emptied = (txnOp: TxnOp): TxnOp => {
    if (txnOp.type !== 'put' || txnOp.value.byteLength === 0) return txnOp;
    values.push(txnOp.value);
    return { ...txnOp, value: EMPTY, heldBytes: txnOp.value.byteLength };
  };
  const txn = { ...op.txn, success: op.txn.success.map(emptied), failure: op.txn.failure.map(emptied) };
  if (values.length === 0 || capacity.roomBeside({ ...op, txn, held: heldAtMost(first) }) < 0) {
    return 'its keys, compares and other fields alone do not fit a datagram';
  }
  return { lead: Buffer.concat(values), last: (held) => ({ ...op, txn, held }) };
}
