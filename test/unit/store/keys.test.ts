// Proves the database keys round-trip and sort as the store's ranges assume: history by (revision, sub),
// the revision index by key bytes then revision with a key's entries before any longer key's, lease
// index entries inside their lease's bounds. How: seeded fast-check pairs compared bytewise, as LevelDB
// compares them.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  clientKey,
  historyKey,
  keyOfLeaseIndexKey,
  leaseIndexBounds,
  leaseIndexKey,
  parseClientKey,
  parseHistoryKey,
  parseRevisionIndexKey,
  revisionIndexEnd,
  revisionIndexKey,
  revisionIndexStart,
} from '../../../src/store/keys.js';

const revision = fc.maxSafeNat();
const sub = fc.integer({ min: 0, max: 0xffff });
/** Store keys hold no NUL (ops.ts refuses writes of one). */
const key = fc.string({ unit: 'binary', maxLength: 12 }).filter((text) => !text.includes('\0'));
const order = (a: number | string, b: number | string): number => (a < b ? -1 : a > b ? 1 : 0);
const bytewise = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

describe('keys', () => {
  it('round-trip, and history keys sort by revision then sub', () => {
    fc.assert(
      fc.property(revision, sub, revision, sub, (r1, s1, r2, s2) => {
        expect(parseHistoryKey(historyKey({ revision: r1, sub: s1 }))).toEqual({ revision: r1, sub: s1 });
        const expected = order(r1, r2) || order(s1, s2);
        expect(Buffer.compare(historyKey({ revision: r1, sub: s1 }), historyKey({ revision: r2, sub: s2 }))).toBe(expected);
      }),
      { seed: 5 },
    );
  });

  it("sorts the revision index by key bytes, then revision, and bounds each key's entries", () => {
    fc.assert(
      fc.property(key, revision, key, revision, (k1, r1, k2, r2) => {
        const a = revisionIndexKey(k1, r1);
        expect(parseRevisionIndexKey(a)).toEqual({ key: k1, revision: r1 });
        expect(Buffer.compare(a, revisionIndexKey(k2, r2))).toBe(bytewise(k1, k2) || order(r1, r2));
        // Every entry of k2 lies inside k1's bounds exactly when the keys are equal.
        const inside =
          Buffer.compare(revisionIndexStart(k1), revisionIndexKey(k2, r2)) <= 0 &&
          Buffer.compare(revisionIndexKey(k2, r2), revisionIndexEnd(k1)) < 0;
        expect(inside).toBe(k1 === k2);
      }),
      { seed: 6 },
    );
  });

  it('keeps lease index entries inside their lease, and round-trips clients', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 40 }), fc.integer({ min: 0, max: 2 ** 40 }), key, (l1, l2, name) => {
        const entry = leaseIndexKey(l2, name);
        expect(keyOfLeaseIndexKey(entry)).toBe(name);
        const { gte, lt } = leaseIndexBounds(l1);
        expect(Buffer.compare(gte, entry) <= 0 && Buffer.compare(entry, lt) < 0).toBe(l1 === l2);
      }),
      { seed: 7 },
    );
    expect(parseClientKey(clientKey(0xffff_ffff))).toBe(0xffff_ffff);
  });

  it('refuses numbers that do not fit their width', () => {
    expect(() => clientKey(2 ** 32)).toThrow(/u32/);
    expect(() => historyKey({ revision: -1, sub: 0 })).toThrow(/non-negative safe integer/);
    expect(() => historyKey({ revision: 2 ** 53, sub: 0 })).toThrow(/non-negative safe integer/);
    expect(() => historyKey({ revision: 1, sub: 0x10000 })).toThrow(/16 bits/);
    expect(historyKey({ revision: Number.MAX_SAFE_INTEGER, sub: 0 })).toHaveLength(11);
  });
});
