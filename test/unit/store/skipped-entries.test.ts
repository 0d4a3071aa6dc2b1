// Proves no-op slots and undecodable bodies occupy a slot without touching kv, revision or client table.
// How: applies them between real writes on a LevelDB store and checks results, meta and stored state.
import { describe, expect, it } from 'vitest';
import { packBody } from '../../../src/mrtom/body.js';
import { encodeOpRequest } from '../../../src/store/ops.js';
import { NOOP_REASON } from '../../../src/store/applied.js';
import { get, getResult, noopEntry, opEntry, put, rawEntry, storeHarness } from './fixtures.js';

const harness = storeHarness();

describe('entries that apply nothing', () => {
  it('a no-op advances appliedSlot and answers no-op', async () => {
    const store = await harness.open(await harness.newDir(), 'async');
    const applied = await store.state.applyBatch([opEntry(1, put('k', 'v')), noopEntry(2), opEntry(3, get('k'))]);
    expect(applied[1]?.result).toEqual({ type: 'invalid', revision: 1, reason: NOOP_REASON });
    expect(applied[2]?.result).toMatchObject(getResult(1, { version: 1 }));
    expect(store.state.meta()).toEqual({ appliedSlot: 3, session: 1, appliedSeq: 3, revision: 1 });
  });

  it.each([
    ['truncated msgpack', new Uint8Array([0x82, 0xa5]), 'malformed msgpack'],
    ['not {floor, ops}', packBody({ floor: -1, ops: [[1, { type: 'barrier' }]] }), 'request body must be {floor, ops}'],
    ['an unknown op type', packBody({ floor: 0, ops: [[1, { type: 'inc', key: 'k' }]] }), 'unknown op type inc'],
    ['an empty batch', packBody({ floor: 0, ops: [] }), 'a request holds 1 to 1024 ops, not 0'],
    [
      'a repeated request id',
      packBody({
        floor: 0,
        ops: [
          [1, { type: 'barrier' }],
          [1, { type: 'barrier' }],
        ],
      }),
      'request ids repeat',
    ],
    [
      'a range read that does not travel alone',
      packBody({
        floor: 0,
        ops: [
          [1, { type: 'barrier' }],
          [2, { type: 'delete_range', prefix: 'a' }],
        ],
      }),
      'must be the only op',
    ],
  ])('a body that is %s advances appliedSlot and answers invalid', async (_name, body, reason) => {
    const store = await harness.open(await harness.newDir(), 'async');
    const [invalid] = await store.state.applyBatch([rawEntry(1, body)]);
    expect(invalid?.result).toEqual({ type: 'invalid', revision: 0, reason: expect.stringContaining(reason) });
    expect(store.state.meta()).toEqual({ appliedSlot: 1, session: 1, appliedSeq: 1, revision: 0 });
    // The request id of an invalid body is not consumed: a valid request with it still applies.
    const [valid] = await store.state.applyBatch([opEntry(2, put('k', 'v'), { requestId: 1 })]);
    expect(valid?.result).toEqual({ type: 'put', revision: 1, modRevision: 1 });
  });
});
