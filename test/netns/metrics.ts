// The repair counters the replicas and sequencers expose on /metrics (src/metrics), summed over the
// cluster: how lost ORDERED datagrams were repaired — by the sequencer resending its copy (on timeout or
// a replica's RETRANSMIT), by a peer's log, or by gap agreement (a NO-OP). A process restarted during
// the run counts from zero again, so after kills these are lower bounds.
import { request } from 'undici';

const SCRAPE_TIMEOUT_MS = 5_000;

export interface RepairCounters {
  sequencerRetransmits: number;
  sequencerRingDrops: number;
  retransmitRequests: number;
  logRequests: number;
  noopsDecided: number;
  viewChanges: number;
  /** ORDERED datagrams replicas received more than once. */
  duplicatesReceived: number;
}

/** Every sample of a Prometheus text page, summed by metric name over its label sets. */
function parseMetrics(text: string): Map<string, number> {
  const sums = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{[^}]*\})? (\S+)$/.exec(line);
    if (match === null) continue;
    sums.set(match[1]!, (sums.get(match[1]!) ?? 0) + Number(match[2]));
  }
  return sums;
}

async function scrape(url: string): Promise<Map<string, number>> {
  try {
    const res = await request(url, { headersTimeout: SCRAPE_TIMEOUT_MS, bodyTimeout: SCRAPE_TIMEOUT_MS });
    return res.statusCode === 200 ? parseMetrics(await res.body.text()) : new Map();
  } catch {
    return new Map(); // A process that is down has no counters to add.
  }
}

export async function repairCounters(
  replicaMetricsUrls: readonly string[],
  sequencerMetricsUrls: readonly string[],
): Promise<RepairCounters> {
  const [replicas, sequencers] = await Promise.all([
    Promise.all(replicaMetricsUrls.map(scrape)),
    Promise.all(sequencerMetricsUrls.map(scrape)),
  ]);
  const sum = (pages: Map<string, number>[], name: string) => pages.reduce((total, page) => total + (page.get(name) ?? 0), 0);
  return {
    sequencerRetransmits: sum(sequencers, 'mrtom_sequencer_retransmits_total'),
    sequencerRingDrops: sum(sequencers, 'mrtom_sequencer_ring_drops_total'),
    retransmitRequests: sum(replicas, 'mrtom_replica_retransmit_requests_total'),
    logRequests: sum(replicas, 'mrtom_replica_log_requests_total'),
    noopsDecided: sum(replicas, 'mrtom_replica_noops_decided_total'),
    viewChanges: sum(replicas, 'mrtom_replica_view_changes_total'),
    duplicatesReceived: sum(replicas, 'mrtom_replica_duplicates_total'),
  };
}
