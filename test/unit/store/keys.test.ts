// Proves client keys round-trip and sort floor first, so LevelDB ranges mean what we think.
// How: seeded fast-check pairs compared bytewise, as LevelDB compares them, against numeric order.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { clientFloorKey, clientResultKey, parseClientKey } from '../../../src/store/keys.js';

const u32 = fc.integer({ min: 0, max: 0xffff_ffff });
const u53 = fc.maxSafeNat();
const bytewise = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

describe('keys', () => {
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
    expect(() => clientResultKey(1, -1)).toThrow(/non-negative safe integer/);
    expect(() => clientResultKey(1, 2 ** 53)).toThrow(/non-negative safe integer/);
    expect(clientResultKey(1, Number.MAX_SAFE_INTEGER)).toHaveLength(8 + 1 + 14);
  });
});
