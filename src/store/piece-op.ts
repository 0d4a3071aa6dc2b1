// Applying the ops of a split put (pieces.ts): a piece is held, the put takes the pieces held before it and
// becomes an ordinary put of the whole value, at one revision. Refusals are `invalid`: never cached, so a
// piece refused because its assembly was evicted cannot stand in for a later, valid apply.
import type { KvOp, OpResult } from './ops.js';
import type { PieceChanges } from './pieces.js';

type PieceOp = Extract<KvOp, { type: 'piece' }>;
type PutOp = Extract<KvOp, { type: 'put' }>;

export function applyPieceOp(op: PieceOp, clientId: number, slot: number, revision: number, pieces: PieceChanges): OpResult {
  const refused = pieces.hold({ clientId, first: op.first }, op.index, op.bytes, slot);
  return refused === null ? { type: 'piece_held', revision } : { type: 'invalid', revision, reason: refused };
}

/** The put with its whole value, assembled from the pieces held; a reason when they are not all there. */
export function assembledPut(op: PutOp, clientId: number, pieces: PieceChanges): PutOp | string {
  if (op.held === undefined) return op;
  const held = pieces.take({ clientId, first: op.held.first }, op.held.pieces);
  if (typeof held === 'string') return held;
  const { held: _, ...put } = op;
  return { ...put, value: new Uint8Array(Buffer.concat([...held, op.value])) };
}
