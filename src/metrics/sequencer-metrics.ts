// The sequencer's Prometheus metrics, read from the pure state machine's counters at scrape time.
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { SequencerCounters } from '../sequencer/counters.js';
import { byReason, scrapedCounter } from './scraped.js';

/** What the sequencer's host counts: the protocol's counters, the sends the kernel refused, and among the
 *  drops those made before the protocol (sequencer-node.ts). */
export type SequencerMetricSources = Omit<SequencerCounters, 'dropped'> & { sendErrors: number; dropped: Readonly<Record<string, number>> };

/** `xdp`: the XDP program's counters by name (src/sequencer/xdp/maps.ts), or null for the userspace plane. */
export function createSequencerMetrics(
  counters: () => SequencerMetricSources,
  xdp: () => Record<string, number> | null = () => null,
): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const plain: Array<[keyof Omit<SequencerMetricSources, 'dropped'>, string]> = [
    ['stamped', 'REQUESTs stamped with a seq'],
    ['ordersSent', 'ORDERED datagrams sent on first fan-out'],
    ['retransmits', 'ORDERED copies resent on timeout or request'],
    ['ringDrops', 'Unacked copies evicted from a full ring'],
    ['commitNotices', 'COMMIT notices announced'],
    ['heartbeats', 'HEARTBEATs announced'],
    ['sessionStarts', 'Sessions adopted from a leader SESSION_START'],
    ['sendErrors', 'Sends the kernel refused'],
  ];
  for (const [field, help] of plain) {
    const name = `mrtom_sequencer_${field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}_total`;
    scrapedCounter(registry, name, help, [], () => [[{}, counters()[field]]]);
  }
  scrapedCounter(registry, 'mrtom_sequencer_datagrams_dropped_total', 'Datagrams dropped by the sequencer, by reason', ['reason'], () =>
    byReason(counters().dropped),
  );
  if (xdp() !== null) {
    scrapedCounter(registry, 'mrtom_sequencer_xdp_packets_total', 'Packets the XDP program handled, by what it did', ['counter'], () =>
      Object.entries(xdp() ?? {}).map(([counter, n]) => [{ counter }, n]),
    );
  }
  return registry;
}
