// Proves how the submitter splits a put too large for one REQUEST (docs/protocol.md, "Large values"): the
// largest put that fits one datagram goes whole and one byte more goes as a piece and the put; every
// datagram stays within the limit; pieces go one at a time, each once the one before applied here, with
// consecutive request ids and a floor below the first until the put ends; the caller gets the put's result;
// a refused or timed-out piece fails the caller and lets the floor pass the pieces; a txn sends its put
// values as pieces in branch order and then itself, naming their lengths. How: a real Submitter
// over a recorded send, fed the results a replica would apply.
import { describe, expect, it } from 'vitest';
import { SPLIT_PUTS_IN_FLIGHT_MAX } from '../../../src/runtime/submitter.js';
import { PIECES_PER_PUT_MAX, type KvOp, type OpResult } from '../../../src/store/ops.js';
import { harness, put } from './submitter-harness.js';

const HELD: OpResult = { type: 'piece_held', revision: 0 };
const PUT_RESULT: OpResult = { type: 'put', revision: 1, modRevision: 1 };

function randomValue(bytes: number): Uint8Array {
  return Uint8Array.from({ length: bytes }, (_, i) => (i * 7919 + 13) & 0xff);
}

/** Drives a split put to its end, answering every piece as held: the ops sent, in order. */
function driveSplit(h: ReturnType<typeof harness>, limit: number, from = 0): KvOp[] {
  const ops: KvOp[] = [];
  for (let answered = from; answered < h.sent.length; answered++) {
    expect(h.sent[answered]!.byteLength).toBeLessThanOrEqual(limit);
    const sentOps = h.opsSent(answered);
    expect(sentOps).toHaveLength(1);
    const { requestId, op } = sentOps[0]!;
    ops.push(op);
    expect(h.sent).toHaveLength(answered + 1); // the next piece waits for this one
    h.submitter.onApplied(h.appliedWith(requestId, op.type === 'piece' ? HELD : PUT_RESULT));
  }
  return ops;
}

function reassembled(ops: readonly KvOp[]): Uint8Array {
  const parts = ops.map((op) => (op.type === 'piece' ? op.bytes : op.type === 'put' ? op.value : new Uint8Array(0)));
  return new Uint8Array(Buffer.concat(parts));
}

describe('Submitter: split puts', () => {
  it.each([200, 1400, 65_000])('sends the largest put that fits a %i-byte datagram whole, and one byte more as two ops', (limit) => {
    const opsOf = (bytes: number): KvOp[] => {
      const h = harness({ datagramBytesMax: limit });
      void h.submitter.submit({ ...put('k', bytes), contentType: 'image/png' });
      return driveSplit(h, limit);
    };
    let largest = limit;
    while (opsOf(largest).length > 1) largest -= 1;
    expect(largest).toBeGreaterThan(0);
    expect(largest).toBeLessThan(limit);
    expect(opsOf(largest)).toMatchObject([{ type: 'put', key: 'k' }]);
    expect(opsOf(largest)[0]).not.toHaveProperty('held');
    const split = opsOf(largest + 1);
    expect(split).toMatchObject([
      { type: 'piece', first: 1, index: 0 },
      { type: 'put', key: 'k', contentType: 'image/png', held: { first: 1, pieces: 1 } },
    ]);
    expect(reassembled(split)).toEqual(new Uint8Array(largest + 1));
  });

  it('sends pieces one at a time with consecutive ids and a floor below the first, and answers with the put result', async () => {
    const h = harness({ datagramBytesMax: 1400 });
    void h.submitter.submit(put('before'));
    h.submitter.onApplied(h.applied(1));
    const value = randomValue(10_000);
    const pending = h.submitter.submit({ type: 'put', key: 'big', value });
    const ops = driveSplit(h, 1400, 1);
    expect(ops.length).toBeGreaterThan(7);
    expect(ops.map((op) => (op.type === 'piece' ? op.index : 'put'))).toEqual([...ops.slice(0, -1).map((_, i) => i), 'put']);
    expect(
      h
        .batches()
        .slice(1)
        .map((batch) => batch.requestId),
    ).toEqual(ops.map((_, i) => 2 + i));
    expect(
      h
        .batches()
        .slice(1)
        .every((batch) => batch.floor === 1),
    ).toBe(true);
    expect(reassembled(ops)).toEqual(value);
    await expect(pending).resolves.toEqual(PUT_RESULT);
    void h.submitter.submit(put('after'));
    expect(h.batches().at(-1)!.floor).toBe(1 + ops.length);
  });

  it('fails the caller when a piece is refused, sends no more pieces, and lets the floor pass them', async () => {
    const h = harness({ datagramBytesMax: 400 });
    const pending = h.submitter.submit(put('big', 2000));
    h.submitter.onApplied(h.appliedWith(1, HELD));
    h.submitter.onApplied(h.appliedWith(2, { type: 'invalid', revision: 0, reason: 'piece 1 does not follow the 0 pieces held' }));
    await expect(pending).rejects.toMatchObject({
      code: 'unavailable',
      message: expect.stringMatching(/piece 1 of a 2000-byte put was refused/),
    });
    expect(h.sent).toHaveLength(2);
    void h.submitter.submit(put('next'));
    const next = h.batches().at(-1)!;
    expect(next.floor).toBeGreaterThanOrEqual(2);
    expect(next.ids[0]).toBeGreaterThan(2);
  });

  it('fails the caller with commit_timeout when a piece is not applied in time', async () => {
    const h = harness({ datagramBytesMax: 400 });
    const pending = h.submitter.submit(put('big', 2000));
    h.submitter.onApplied(h.appliedWith(1, HELD));
    h.clock.nowMs += 1001;
    h.submitter.onTick();
    await expect(pending).rejects.toMatchObject({ code: 'commit_timeout' });
    void h.submitter.submit(put('next'));
    expect(h.batches().at(-1)!.floor).toBe(h.batches().at(-1)!.ids[0]! - 1);
  });

  it('sends a txn too large for one datagram as pieces of its put values in branch order, then the txn holding them', async () => {
    const h = harness({ datagramBytesMax: 1400 });
    const a = randomValue(3000);
    const b = randomValue(2000).reverse();
    const txn: KvOp = {
      type: 'txn',
      txn: {
        compare: [{ key: 'a', target: 'version', op: '==', value: 0 }],
        success: [
          { type: 'put', key: 'a', value: a },
          { type: 'get', key: 'a' },
          { type: 'put', key: 'empty', value: new Uint8Array(0) },
        ],
        failure: [{ type: 'put', key: 'b', value: b }],
      },
    };
    const pending = h.submitter.submit(txn);
    const ops = driveSplit(h, 1400);
    const last = ops.at(-1)!;
    expect(last).toMatchObject({
      type: 'txn',
      held: { first: 1, pieces: ops.length - 1 },
      txn: {
        success: [{ type: 'put', key: 'a', heldBytes: 3000 }, { type: 'get' }, { type: 'put', key: 'empty' }],
        failure: [{ type: 'put', key: 'b', heldBytes: 2000 }],
      },
    });
    expect(last.type === 'txn' && last.txn.success[2]).not.toHaveProperty('heldBytes');
    expect(reassembled(ops)).toEqual(new Uint8Array(Buffer.concat([a, b])));
    await expect(pending).resolves.toEqual(PUT_RESULT);
  });

  it(`refuses a put needing more than ${PIECES_PER_PUT_MAX} pieces, and more than ${SPLIT_PUTS_IN_FLIGHT_MAX} split puts at once`, async () => {
    const small = harness({ datagramBytesMax: 200 });
    await expect(small.submitter.submit(put('big', 200 * PIECES_PER_PUT_MAX))).rejects.toMatchObject({
      code: 'value_too_large',
      message: expect.stringMatching(new RegExp(`over the ${PIECES_PER_PUT_MAX}-piece limit`)),
    });
    expect(small.sent).toHaveLength(0);
    const busy = harness({ datagramBytesMax: 400, batchesInFlightMax: 16 });
    for (let i = 0; i < SPLIT_PUTS_IN_FLIGHT_MAX; i++) void busy.submitter.submit(put(`big${i}`, 1000));
    await expect(busy.submitter.submit(put('one-more', 1000))).rejects.toMatchObject({ code: 'overloaded' });
    expect(busy.sent).toHaveLength(SPLIT_PUTS_IN_FLIGHT_MAX);
  });
});
