// Proves the rules the nemesis loads say what each fault means: partitions drop only the blocked
// sources, loss draws once and counts ORDERED apart, the delayer's queue and the duplicating TEE appear
// only with their fault, and the counters read back from iptables-legacy-save are the marked rules'.
// How: pure rendering and parsing, against iptables-legacy-save output as this kernel prints it.
import { describe, expect, it } from 'vitest';
import { BLOCKED_COMMENT, CALM, ORDERED_LOST_COMMENT, renderIngressRules, ruleCount } from './netfilter.js';

const SELF = '10.66.1.1';
const rulesOf = (text: string, table: 'raw' | 'mangle') =>
  text
    .split(`*${table}\n`)[1]!
    .split('COMMIT')[0]!
    .split('\n')
    .filter((line) => line.startsWith('-A '));

describe('ingress rules of one member', () => {
  it('in calm weather drop nothing: only the counting chain exists, with nothing jumping to it', () => {
    const text = renderIngressRules({ blockedSources: [], sparedSources: [], link: CALM }, SELF);
    expect(rulesOf(text, 'raw').filter((rule) => rule.startsWith('-A PREROUTING'))).toEqual([]);
    expect(rulesOf(text, 'mangle')).toEqual([]);
  });

  it('block exactly the partitioned sources, before any random loss is drawn', () => {
    const text = renderIngressRules(
      { blockedSources: ['10.66.2.1', '10.66.1.3'], sparedSources: [], link: { ...CALM, lossRate: 0.05 } },
      SELF,
    );
    const prerouting = rulesOf(text, 'raw').filter((rule) => rule.startsWith('-A PREROUTING'));
    expect(prerouting[0]).toContain('-s 10.66.2.1/32');
    expect(prerouting[1]).toContain('-s 10.66.1.3/32');
    expect(prerouting.slice(0, 2).every((rule) => rule.endsWith('-j DROP') && rule.includes(BLOCKED_COMMENT))).toBe(true);
    expect(prerouting[2]).toContain('--probability 0.050000 -j M6-LOST');
  });

  it("spare the clients' frames from the link conditions, never from a partition", () => {
    const client = '10.66.3.1';
    const lossy = rulesOf(
      renderIngressRules({ blockedSources: ['10.66.2.1'], sparedSources: [client], link: { ...CALM, lossRate: 0.05 } }, SELF),
      'raw',
    );
    const prerouting = lossy.filter((rule) => rule.startsWith('-A PREROUTING'));
    expect(prerouting.map((rule) => rule.split(' -j ')[1])).toEqual([`DROP`, 'ACCEPT', 'M6-LOST']);
    expect(prerouting[1]).toContain(`-s ${client}/32`);
    const duplicated = renderIngressRules({ blockedSources: [], sparedSources: [client], link: { ...CALM, duplicateRate: 0.1 } }, SELF);
    expect(rulesOf(duplicated, 'mangle')[0]).toBe(`-A PREROUTING -i eth0 -s ${client}/32 -j ACCEPT`);
  });

  it('draw loss once per frame and count lost ORDERED apart from the rest', () => {
    const raw = rulesOf(renderIngressRules({ blockedSources: [], sparedSources: [], link: { ...CALM, lossRate: 0.2 } }, SELF), 'raw');
    expect(raw.filter((rule) => rule.includes('statistic'))).toHaveLength(1);
    const lost = raw.filter((rule) => rule.startsWith('-A M6-LOST'));
    expect(lost[0]).toContain('=0x4D540102');
    expect(lost[0]).toContain(ORDERED_LOST_COMMENT);
    expect(lost[1]).toBe('-A M6-LOST -j DROP');
  });

  it('queue frames to the delayer only while a delay is in force, and duplicate back to this member', () => {
    const delayed = renderIngressRules({ blockedSources: [], sparedSources: [], link: { ...CALM, delayMs: 20, jitterMs: 10 } }, SELF);
    expect(rulesOf(delayed, 'raw').at(-1)).toBe('-A PREROUTING -i eth0 -j NFQUEUE --queue-num 0 --queue-bypass');
    const duplicated = renderIngressRules({ blockedSources: [], sparedSources: [], link: { ...CALM, duplicateRate: 0.1 } }, SELF);
    expect(rulesOf(duplicated, 'raw').some((rule) => rule.includes('NFQUEUE'))).toBe(false);
    expect(rulesOf(duplicated, 'mangle')).toEqual([
      `-A PREROUTING -i eth0 -m statistic --mode random --probability 0.100000 -j TEE --gateway ${SELF}`,
    ]);
  });

  it('refuse a rate that is no fraction', () => {
    expect(() => renderIngressRules({ blockedSources: [], sparedSources: [], link: { ...CALM, lossRate: 1.5 } }, SELF)).toThrow(/lossRate/);
    expect(() => renderIngressRules({ blockedSources: [], sparedSources: [], link: { ...CALM, duplicateRate: -0.1 } }, SELF)).toThrow(
      /duplicateRate/,
    );
  });

  it("read back the marked rules' packet counters, summed, and nothing else", () => {
    const saved = [
      '*raw',
      ':PREROUTING ACCEPT [1116:1620496]',
      `[7:420] -A PREROUTING -s 10.66.2.1/32 -i eth0 -m comment --comment ${BLOCKED_COMMENT} -j DROP`,
      `[5:300] -A PREROUTING -s 10.66.1.3/32 -i eth0 -m comment --comment ${BLOCKED_COMMENT} -j DROP`,
      '[284:409104] -A PREROUTING -i eth0 -m statistic --mode random --probability 0.20000000019 -j M6-LOST',
      `[38:57000] -A M6-LOST -m u32 --u32 "0x0>>0x16&0x3c@0x8=0x4d540102" -m comment --comment ${ORDERED_LOST_COMMENT} -j DROP`,
      '[246:352104] -A M6-LOST -j DROP',
      'COMMIT',
    ].join('\n');
    expect(ruleCount(saved, ORDERED_LOST_COMMENT)).toBe(38);
    expect(ruleCount(saved, BLOCKED_COMMENT)).toBe(12);
    expect(ruleCount('*raw\nCOMMIT\n', ORDERED_LOST_COMMENT)).toBe(0);
  });
});
