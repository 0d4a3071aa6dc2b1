// The faults of one member's network, as netfilter rules (iptables-legacy-restore input) for its own
// namespace. This kernel has no netem (CONFIG_NET_SCH_NETEM is off), so the harness shapes traffic with
// netfilter instead, on the member's INGRESS in the raw and mangle PREROUTING chains: without conntrack
// those see every frame before IP reassembly, so loss hits fragments one by one as netem on a veth does
// (a 60 kB LOG_REPLY in 41 frames is lost if any of them is). Pure: the nemesis applies the text.
//
//   raw PREROUTING, in order:  drop frames from blocked sources (partitions, one-way drops)
//                              let the clients' frames pass: link faults are the cluster's network's
//                              loss: a random fraction jumps to M6-LOST, which counts ORDERED apart
//                              delay / reordering: NFQUEUE to the delayer (nfqueue-delay.py)
//   mangle PREROUTING:         duplication: TEE a random fraction back to this member (a second copy)
import { MEMBER_INTERFACE } from './topology.js';

/** netem's vocabulary: every rate is a fraction in [0, 1]. */
export interface LinkConditions {
  lossRate: number;
  /** Every frame is held delayMs ± jitterMs (uniform); a jitter reorders frames, as netem's does. */
  delayMs: number;
  jitterMs: number;
  /** With a delay: this fraction of frames goes at once, overtaking the held ones (netem's `reorder`). */
  reorderRate: number;
  duplicateRate: number;
}

export const CALM: LinkConditions = { lossRate: 0, delayMs: 0, jitterMs: 0, reorderRate: 0, duplicateRate: 0 };

export interface IngressFaults {
  /** Addresses whose frames this member does not receive. */
  blockedSources: readonly string[];
  /**
   * Addresses whose frames the link conditions spare (the clients'): the faults are the cluster's own
   * network's, and a lossy client link would mostly measure TCP's 200 ms retransmission timer.
   */
  sparedSources: readonly string[];
  link: LinkConditions;
}

/** The NFQUEUE the delayer of each namespace reads (one per namespace, so always the same number). */
export const DELAY_QUEUE = 0;
/** Comments that mark the rules whose counters the harness reads back (ruleCount). */
export const ORDERED_LOST_COMMENT = 'm6-ordered-lost';
export const BLOCKED_COMMENT = 'm6-blocked';
/** The first 4 bytes of an ORDERED's UDP payload: magic 0x4D54, version 1, type 2 (src/mrtom/header.ts). */
const ORDERED_PREFIX = '0x4D540102';
/** xt_u32: the IP header length from the first word, then the word 8 bytes in (the UDP payload's start). */
const UDP_PAYLOAD_FIRST_WORD = '0>>22&0x3C@8';

export function needsDelayer(link: LinkConditions): boolean {
  return link.delayMs > 0 || link.jitterMs > 0;
}

/** Every rate a fraction, every time a duration: a schedule with anything else is a harness bug. */
function assertLink(link: LinkConditions): void {
  for (const name of ['lossRate', 'reorderRate', 'duplicateRate'] as const) {
    if (!(link[name] >= 0 && link[name] <= 1)) throw new RangeError(`${name} must be a fraction in [0, 1], got ${link[name]}`);
  }
  for (const name of ['delayMs', 'jitterMs'] as const) {
    if (!(link[name] >= 0)) throw new RangeError(`${name} must be at least 0, got ${link[name]}`);
  }
}

/** The raw and mangle tables of `self`'s namespace (filter is left alone: nothing here uses it). */
export function renderIngressRules(faults: IngressFaults, self: string): string {
  const input = `-i ${MEMBER_INTERFACE}`;
  const raw = ['*raw', ':PREROUTING ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':M6-LOST - [0:0]'];
  for (const source of faults.blockedSources)
    raw.push(`-A PREROUTING ${input} -s ${source}/32 -m comment --comment ${BLOCKED_COMMENT} -j DROP`);
  const { link } = faults;
  assertLink(link);
  const spared = faults.sparedSources.map((source) => `-A PREROUTING ${input} -s ${source}/32 -j ACCEPT`);
  if (link.lossRate > 0 || needsDelayer(link)) raw.push(...spared);
  if (link.lossRate > 0) {
    raw.push(`-A PREROUTING ${input} -m statistic --mode random --probability ${link.lossRate.toFixed(6)} -j M6-LOST`);
  }
  raw.push(`-A M6-LOST -m u32 --u32 "${UDP_PAYLOAD_FIRST_WORD}=${ORDERED_PREFIX}" -m comment --comment ${ORDERED_LOST_COMMENT} -j DROP`);
  raw.push('-A M6-LOST -j DROP');
  if (needsDelayer(link)) raw.push(`-A PREROUTING ${input} -j NFQUEUE --queue-num ${DELAY_QUEUE} --queue-bypass`);
  raw.push('COMMIT');
  const mangle = ['*mangle', ':PREROUTING ACCEPT [0:0]', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]'];
  mangle.push(':POSTROUTING ACCEPT [0:0]');
  if (link.duplicateRate > 0) {
    mangle.push(...spared);
    const rate = link.duplicateRate.toFixed(6);
    mangle.push(`-A PREROUTING ${input} -m statistic --mode random --probability ${rate} -j TEE --gateway ${self}`);
  }
  mangle.push('COMMIT');
  return `${[...raw, ...mangle].join('\n')}\n`;
}

/** The packets the rules marked with `comment` matched, from `iptables-legacy-save -c -t raw` output. */
export function ruleCount(saved: string, comment: string): number {
  let packets = 0;
  for (const line of saved.split('\n')) {
    const match = line.includes(`--comment ${comment} `) ? /^\[(\d+):\d+\]/.exec(line) : null;
    if (match !== null) packets += Number(match[1]);
  }
  return packets;
}
