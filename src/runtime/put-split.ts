// Splitting a put too large for one REQUEST into pieces (docs/protocol.md, "Large values"): piece ops
// carrying the value's leading bytes, then the put itself carrying the rest and naming the pieces before
// it. Request ids are consecutive from `first`, which names the assembly on every replica (src/store/pieces.ts).
import assert from 'node:assert/strict';
import { type KvOp, PIECES_PER_PUT_MAX } from '../store/ops.js';

type PutOp = Extract<KvOp, { type: 'put' }>;

export interface PieceCapacity {
  /** Value bytes one piece op carries at most (alone in its REQUEST). */
  pieceBytes: number;
  /** Value bytes the put itself carries at most, besides its key, content type and other fields. */
  tailBytes: number;
}

/** The ops of a split put, for request ids first, first + 1, ...; the last is the put. A string says why
 *  it cannot be split. */
export function splitPut(op: PutOp, first: number, capacity: PieceCapacity): KvOp[] | string {
  assert.ok(op.held === undefined, 'a split put is not split again');
  assert.ok(capacity.pieceBytes > 0, 'a piece carries at least one byte');
  if (capacity.tailBytes < 0) return 'the key and content type alone leave no room in a datagram';
  const value = op.value;
  const tailBytes = Math.min(capacity.tailBytes, value.byteLength);
  const leadBytes = value.byteLength - tailBytes;
  const pieces = Math.ceil(leadBytes / capacity.pieceBytes);
  assert.ok(pieces >= 1, 'only a put that does not fit alone is split');
  if (pieces + 1 > PIECES_PER_PUT_MAX) {
    return `it would take ${pieces + 1} datagrams of at most ${capacity.pieceBytes} value bytes, over the ${PIECES_PER_PUT_MAX}-piece limit`;
  }
  const ops: KvOp[] = [];
  for (let index = 0; index < pieces; index++) {
    const bytes = value.subarray(index * capacity.pieceBytes, Math.min((index + 1) * capacity.pieceBytes, leadBytes));
    ops.push({ type: 'piece', first, index, bytes });
  }
  ops.push({ ...op, value: value.subarray(leadBytes), held: { first, pieces } });
  return ops;
}
