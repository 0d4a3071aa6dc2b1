// Applying the ops of a split put or txn (pieces.ts): a piece is held, and the put or txn takes the pieces
// held before it and becomes an ordinary op with its whole values, at one revision. Refusals are
// `invalid`: never cached, so a piece refused because its assembly was evicted cannot stand in for a
// later, valid apply.
import { isSplittable, type KvOp, type OpResult, type Txn, type TxnOp } from './ops.js';
import type { PieceChanges } from './pieces.js';

type PieceOp = Extract<KvOp, { type: 'piece' }>;
type WholeOp = Exclude<KvOp, PieceOp>;

export function applyPieceOp(op: PieceOp, clientId: number, slot: number, revision: number, pieces: PieceChanges): OpResult {
  const refused = pieces.hold({ clientId, first: op.first }, op.index, op.bytes, slot);
  return refused === null ? { type: 'piece_held', revision } : { type: 'invalid', revision, reason: refused };
}

/** The op with its whole values, assembled from the pieces held; a reason when they are not all there. */
export function assembledOp(op: WholeOp, clientId: number, pieces: PieceChanges): WholeOp | string {
  if (!isSplittable(op) || op.held === undefined) return op;
  const held = pieces.take({ clientId, first: op.held.first }, op.held.pieces);
  if (typeof held === 'string') return held;
  const { held: _, ...whole } = op;
  if (whole.type === 'put') return { ...whole, value: new Uint8Array(Buffer.concat([...held, whole.value])) };
  const txn = txnWithValues(whole.txn, Buffer.concat(held));
  return typeof txn === 'string' ? txn : { ...whole, txn };
}

/** The txn's `heldBytes` puts given their values: consecutive slices of `bytes`, which they must use up. */
function txnWithValues(txn: Txn, bytes: Buffer): Txn | string {
  let offset = 0;
  const filled = (op: TxnOp): TxnOp => {
    if (op.type !== 'put' || op.heldBytes === undefined) return op;
    const { heldBytes, ...put } = op;
    offset += heldBytes;
    return { ...put, value: new Uint8Array(bytes.subarray(offset - heldBytes, offset)) };
  };
  const whole = { ...txn, success: txn.success.map(filled), failure: txn.failure.map(filled) };
  return offset === bytes.byteLength ? whole : `the txn's puts take ${offset} bytes of the ${bytes.byteLength} held`;
}
