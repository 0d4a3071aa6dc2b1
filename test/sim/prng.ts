// The simulator's only source of randomness: xoshiro128** seeded through splitmix32, so one integer seed
// replays a whole run exactly (STYLE.md §3: every random choice comes from one seeded generator).
// Math.random is never used under test/sim.
//
// Each concern (network, faults, workload, ...) takes its own stream with `fork`, so a change in how
// many numbers one concern draws does not reshuffle the choices of the others.

const U32 = 0x1_0000_0000;

function splitmix32(state: number): { state: number; value: number } {
  const next = (state + 0x9e3779b9) | 0;
  let z = next;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return { state: next, value: (z ^ (z >>> 16)) >>> 0 };
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

export class Prng {
  private readonly s = new Uint32Array(4);

  /** `seed` may be any safe integer; both 32-bit halves feed the state. */
  constructor(seed: number) {
    if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be a safe integer, got ${seed}`);
    let mix = (seed >>> 0) ^ Math.imul(Math.floor(seed / U32) | 0, 0x27d4eb2f);
    for (let i = 0; i < 4; i += 1) {
      const out = splitmix32(mix);
      mix = out.state;
      this.s[i] = out.value;
    }
    // xoshiro's state must not be all zero; splitmix32 makes that astronomically unlikely, but cheap to rule out.
    if (this.s.every((word) => word === 0)) this.s[0] = 1;
  }

  nextU32(): number {
    const s = this.s;
    const [s0, s1, s2, s3] = [s[0]!, s[1]!, s[2]!, s[3]!];
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    const n2 = s2 ^ s0;
    const n3 = s3 ^ s1;
    s[0] = s0 ^ n3;
    s[1] = s1 ^ n2;
    s[2] = n2 ^ t;
    s[3] = rotl(n3, 11);
    return result;
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.nextU32() / U32;
  }

  /** Uniform integer in [min, max], both inclusive. */
  int(min: number, max: number): number {
    if (!Number.isInteger(min) || !Number.isInteger(max) || max < min) throw new RangeError(`bad int range [${min}, ${max}]`);
    return min + Math.floor(this.float() * (max - min + 1));
  }

  /** Uniform real in [min, max). */
  between(min: number, max: number): number {
    return min + this.float() * (max - min);
  }

  chance(probability: number): boolean {
    return this.float() < probability;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('cannot pick from an empty list');
    return items[Math.floor(this.float() * items.length)] as T;
  }

  /** An independent stream derived from this one's next output and `label`. */
  fork(label: string): Prng {
    let hash = this.nextU32();
    for (let i = 0; i < label.length; i += 1) hash = Math.imul(hash ^ label.charCodeAt(i), 0x01000193) >>> 0;
    return new Prng(hash);
  }
}
