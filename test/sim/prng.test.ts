// The PRNG is the root of replay: the same seed must give the same stream, different seeds and forks
// must give different streams, and the range helpers must stay within their bounds.
import { describe, expect, it } from 'vitest';
import { Prng } from './prng.js';

function draw(prng: Prng, count: number): number[] {
  return Array.from({ length: count }, () => prng.nextU32());
}

describe('Prng', () => {
  it('replays the same stream for the same seed', () => {
    expect(draw(new Prng(42), 100)).toEqual(draw(new Prng(42), 100));
    expect(draw(new Prng(2 ** 40 + 7), 10)).toEqual(draw(new Prng(2 ** 40 + 7), 10));
  });

  it('gives different streams for neighbouring seeds, including seeds that differ only above 32 bits', () => {
    expect(draw(new Prng(1), 10)).not.toEqual(draw(new Prng(2), 10));
    expect(draw(new Prng(5), 10)).not.toEqual(draw(new Prng(5 + 2 ** 32), 10));
  });

  it('keeps int() within its inclusive bounds and reaches both ends', () => {
    const prng = new Prng(7);
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i += 1) {
      const value = prng.int(3, 6);
      expect(value).toBeGreaterThanOrEqual(3);
      expect(value).toBeLessThanOrEqual(6);
      seen.add(value);
    }
    expect([...seen].sort()).toEqual([3, 4, 5, 6]);
  });

  it('is roughly uniform: chance(0.25) lands near a quarter over many draws', () => {
    const prng = new Prng(11);
    let hits = 0;
    for (let i = 0; i < 20_000; i += 1) if (prng.chance(0.25)) hits += 1;
    expect(hits / 20_000).toBeGreaterThan(0.23);
    expect(hits / 20_000).toBeLessThan(0.27);
  });

  it('forks independent, reproducible streams', () => {
    const a = new Prng(9);
    const b = new Prng(9);
    const forkA = a.fork('network');
    const forkB = b.fork('network');
    expect(draw(forkA, 10)).toEqual(draw(forkB, 10));
    expect(draw(new Prng(9).fork('network'), 10)).not.toEqual(draw(new Prng(9).fork('disk'), 10));
    // Drawing from a fork does not move the parent.
    const parent = new Prng(9);
    parent.fork('x');
    const parentNext = parent.nextU32();
    const other = new Prng(9);
    const child = other.fork('x');
    draw(child, 50);
    expect(other.nextU32()).toBe(parentNext);
  });

  it('refuses seeds and ranges it cannot honour', () => {
    expect(() => new Prng(1.5)).toThrow(RangeError);
    expect(() => new Prng(0).int(5, 4)).toThrow(RangeError);
    expect(() => new Prng(0).pick([])).toThrow(RangeError);
  });
});
