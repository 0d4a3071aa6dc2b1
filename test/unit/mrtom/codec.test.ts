// Proves the MRTOM wire format round-trips every valid header and body, and that no byte string — random,
// truncated or corrupted — makes the decoder do anything but return a datagram or throw a typed DecodeError.
import { unpackBody } from '../../../src/mrtom/body.js';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DecodeError, HEADER_BYTES, MessageType, type Header } from '../../../src/mrtom/header.js';
import {
  decodeNoopsBody,
  decodeDatagram,
  decodeRetransmitBody,
  encodeNoopsBody,
  encodeDatagram,
  encodeRetransmitBody,
} from '../../../src/mrtom/messages.js';
import { decodeOpRequest, encodeOpRequest } from '../../../src/store/ops.js';

const u32 = fc.integer({ min: 0, max: 0xffff_ffff });
const u53 = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
const headerArb: fc.Arbitrary<Header> = fc.record({
  type: fc.constantFrom(...([1, 2, 3, 4, 5, 6] as MessageType[])),
  group: u32,
  session: u32,
  view: u32,
  seq: u53,
  commit: u53,
  requestId: u53,
  sender: u32,
  incarnation: u32,
});

function decodeOrTypedError(bytes: Uint8Array): 'ok' | DecodeError['reason'] {
  try {
    decodeDatagram(bytes);
    return 'ok';
  } catch (err) {
    if (err instanceof DecodeError) return err.reason;
    throw err;
  }
}

describe('datagram codec', () => {
  it('round-trips any header and body', () => {
    fc.assert(
      fc.property(headerArb, fc.uint8Array({ maxLength: 512 }), (header, body) => {
        const decoded = decodeDatagram(encodeDatagram(header, body));
        expect(decoded.header).toEqual(header);
        expect(Buffer.from(decoded.body)).toEqual(Buffer.from(body));
      }),
      { seed: 42, numRuns: 500 },
    );
  });

  it('never throws anything but DecodeError on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        expect(typeof decodeOrTypedError(bytes)).toBe('string');
      }),
      { seed: 7, numRuns: 2000 },
    );
  });

  it('rejects truncated and corrupted datagrams with the reason', () => {
    const good = encodeDatagram(
      { type: MessageType.REQUEST, group: 1, session: 0, view: 0, seq: 0, commit: 0, requestId: 9, sender: 3 },
      new Uint8Array([1, 2, 3]),
    );
    expect(decodeOrTypedError(good.subarray(0, HEADER_BYTES - 1))).toBe('short');
    expect(decodeOrTypedError(good.subarray(0, good.length - 1))).toBe('length');
    const badMagic = Buffer.from(good);
    badMagic[0] = 0;
    expect(decodeOrTypedError(badMagic)).toBe('magic');
    const badType = Buffer.from(good);
    badType[3] = 99;
    expect(decodeOrTypedError(badType)).toBe('type');
    const hugeSeq = Buffer.from(good);
    hugeSeq.writeUInt32BE(0xffff_ffff, 16);
    expect(decodeOrTypedError(hugeSeq)).toBe('range');
  });

  it('refuses to encode values that do not fit their field', () => {
    const header = { type: MessageType.ACK, group: 1, session: 1, view: 0, seq: 0, commit: 0, requestId: 0, sender: 1 };
    expect(() => encodeDatagram({ ...header, session: 2 ** 32 })).toThrow(RangeError);
    expect(() => encodeDatagram({ ...header, seq: -1 })).toThrow(RangeError);
  });
});

describe('message bodies', () => {
  it('round-trip ACK and RETRANSMIT bodies and reject bad shapes', () => {
    expect(decodeNoopsBody(encodeNoopsBody({ noops: [] }))).toEqual({ noops: [] });
    expect(decodeNoopsBody(encodeNoopsBody({ noops: [4, 9] }))).toEqual({ noops: [4, 9] });
    expect(decodeRetransmitBody(encodeRetransmitBody({ fromSeq: 5, toSeq: 7 }))).toEqual({ fromSeq: 5, toSeq: 7 });
    expect(() => decodeRetransmitBody(encodeRetransmitBody({ fromSeq: 7, toSeq: 5 }))).toThrow(DecodeError);
    expect(() => decodeRetransmitBody(new Uint8Array([0xc1]))).toThrow(DecodeError);
  });

  it('decodes operation bodies, and turns any garbage into an invalid result instead of throwing', () => {
    const op = { type: 'put' as const, key: 'a/b', value: new Uint8Array([0, 255]), contentType: 'text/plain' };
    const batch = {
      floor: 3,
      ops: [
        { requestId: 4, op },
        { requestId: 9, op: { type: 'barrier' as const } },
      ],
    };
    expect(decodeOpRequest(encodeOpRequest(batch))).toEqual({
      floor: 3,
      ops: [{ requestId: 4, op: { ...op, value: expect.any(Uint8Array) } }, batch.ops[1]],
    });
    // 16 ops need a longer msgpack array header than 15; either way the assembled bytes are plain msgpack.
    for (const count of [15, 16]) {
      const many = {
        floor: 70_000,
        ops: Array.from({ length: count }, (_, i) => ({ requestId: 70_001 + i, op: { type: 'barrier' as const } })),
      };
      expect(unpackBody(encodeOpRequest(many))).toEqual({ floor: many.floor, ops: many.ops.map((o) => [o.requestId, o.op]) });
      expect(decodeOpRequest(encodeOpRequest(many))).toEqual(many);
    }
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        const result = decodeOpRequest(bytes);
        expect('invalid' in result || 'ops' in result).toBe(true);
      }),
      { seed: 11, numRuns: 1000 },
    );
  });

  it("refuses a split txn's shape unless held and heldBytes come together, with empty values and consecutive ids", () => {
    const empty = new Uint8Array(0);
    const txnWith = (put: object, held?: object) => ({
      type: 'txn' as const,
      txn: { compare: [], success: [{ type: 'put', key: 'k', value: empty, ...put }], failure: [] },
      ...(held === undefined ? {} : { held }),
    });
    const decode = (op: object, requestId = 4) => decodeOpRequest(encodeOpRequest({ floor: 0, ops: [{ requestId, op: op as never }] }));
    expect(decode(txnWith({ heldBytes: 10 }, { first: 1, pieces: 3 }))).toMatchObject({ ops: [{ op: { held: { first: 1, pieces: 3 } } }] });
    expect(decode(txnWith({ heldBytes: 10 }))).toEqual({ invalid: "txn.held and its puts' heldBytes come together" });
    expect(decode(txnWith({}, { first: 1, pieces: 3 }))).toEqual({ invalid: "txn.held and its puts' heldBytes come together" });
    expect(decode(txnWith({ heldBytes: 0 }, { first: 1, pieces: 3 }))).toEqual({
      invalid: 'txn.success: put.heldBytes is not a positive integer',
    });
    expect(decode(txnWith({ heldBytes: 2, value: new Uint8Array(2) }, { first: 1, pieces: 3 }))).toEqual({
      invalid: 'txn.success: put.heldBytes comes with an empty value',
    });
    expect(decode(txnWith({ heldBytes: 10 }, { first: 1, pieces: 3 }), 5)).toEqual({
      invalid: 'split txn request id is not first + pieces',
    });
  });
});
