// Proves log keys sort like (session, seq) and client keys round-trip, so LevelDB ranges mean what we
// think. How: seeded fast-check pairs compared bytewise, as LevelDB compares them, against numeric order.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { clientFloorKey, clientResultKey, logKey, parseClientKey } from '../../../src/store/keys.js';

const u32 = fc.integer({ min: 0, max: 0xffff_ffff });
const u53 = fc.maxSafeNat();
const bytewise = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

describe('keys', () => {
  it('orders log keys by session, then seq', () => {
    fc.assert(
      fc.property(u32, u53, u32, u53, (sessionA, seqA, sessionB, seqB) => {
        const numeric = sessionA === sessionB ? Math.sign(seqA - seqB) : Math.sign(sessionA - sessionB);
        expect(bytewise(logKey(sessionA, seqA), logKey(sessionB, seqB))).toBe(numeric);
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
    expect(() => logKey(2 ** 32, 1)).toThrow(/does not fit/);
    expect(() => logKey(1, -1)).toThrow(/non-negative safe integer/);
  });
});
