// Proves the XDP agent names exactly the capabilities a process lacks, read from /proc/<pid>/status.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { missingXdpCapabilities } from '../../../src/sequencer/xdp/capabilities.js';

const status = (capEff: bigint): string => `Name:\tnode\nCapInh:\t0000000000000000\nCapEff:\t${capEff.toString(16).padStart(16, '0')}\n`;
const bit = (n: number): bigint => 1n << BigInt(n);

describe('missingXdpCapabilities', () => {
  it('finds nothing missing for root (every capability) or for CAP_SYS_ADMIN alone', () => {
    expect(missingXdpCapabilities(status(0x1ff_ffff_ffffn))).toEqual([]);
    expect(missingXdpCapabilities(status(bit(21)))).toEqual([]);
  });

  it('names each of CAP_BPF, CAP_NET_ADMIN and CAP_PERFMON that is not effective', () => {
    expect(missingXdpCapabilities(status(0n))).toEqual(['NET_ADMIN', 'PERFMON', 'BPF']);
    expect(missingXdpCapabilities(status(bit(39) | bit(12)))).toEqual(['PERFMON']);
    expect(missingXdpCapabilities(status(bit(39) | bit(12) | bit(38)))).toEqual([]);
  });

  it('reads this process’s own status, and refuses a text without CapEff', () => {
    expect(Array.isArray(missingXdpCapabilities(readFileSync('/proc/self/status', 'utf8')))).toBe(true);
    expect(() => missingXdpCapabilities('Name:\tnode\n')).toThrow(/CapEff/);
  });
});
