// Proves log keys sort like slots and client keys round-trip, so LevelDB ranges mean what we think.
// How: seeded fast-check pairs compared bytewise, as LevelDB compares them, against numeric order.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { clientFloorKey, clientResultKey, logKey, parseClientKey } from '../../../src/store/keys.js';

const u32 = fc.integer({ min: 0, max: 0xffff_ffff });
const u53 = fc.maxSafeNat();
const bytewise = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

describe('keys', () => {
  it('orders log keys by slot', () => {
    fc.assert(
      fc.property(u53, u53, (slotA, slotB) => {
        expect(bytewise(logKey(slotA), logKey(slotB))).toBe(Math.sign(slotA - slotB));
      }),
      { seed: 4 },
    );
  });

  it('parses client keys back, and a floor key sorts before its results', () => {
    fc.assert(
      fc.property(u32, u53, (clientId, requestId) => {
        expect(parseClientKey(clientFloorKey(clientId))).toEqual({ kind: 'floor', clientId });
        expect(parseClientKey(clientResultKey(clientId, requestId))).toEqual({ kind: 'result', clientId, requestId });
        expect(bytewise(clientFloorKey(clientId), clientResultKey(clientId, requestId))).toBe(-1);
      }),
      { seed: 5 },
    );
  });

  it('refuses numbers that do not fit their width', () => {
    expect(() => clientFloorKey(2 ** 32)).toThrow(/does not fit/);
    expect(() => logKey(-1)).toThrow(/non-negative safe integer/);
    expect(() => logKey(2 ** 53)).toThrow(/non-negative safe integer/);
    expect(logKey(Number.MAX_SAFE_INTEGER)).toHaveLength(14);
  });
});
