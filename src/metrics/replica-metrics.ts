// The replica's Prometheus metrics: protocol progress, drops by reason, submitter load.
import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import type { ReplicaCounters, ReplicaSoftState } from '../consensus/types.js';
import { byReason, scrapedCounter, scrapedGauge } from './scraped.js';

export interface ReplicaMetricSources {
  soft(): ReplicaSoftState;
  counters(): Readonly<ReplicaCounters>;
  /** Datagrams the runtime dropped before the protocol, by reason: from an address outside the cluster
   *  config (`unknown-source`), or without the cluster key's MAC (`mac-missing`, `mac-mismatch`). */
  receiveDrops(): Readonly<Record<string, number>>;
  requestsInFlight(): number;
  /** Split puts whose pieces the store holds (src/store/pieces.ts): the same on every replica once applied alike. */
  splitPutsHeld(): number;
}

export interface ReplicaMetrics {
  registry: Registry;
  /** Observes one request's times from submission to being committed and to being applied on this replica. */
  /** Milliseconds from submission to each stage (`<stage>Ms`; null: not seen here), one request. */
  observeLatency(stages: Readonly<Record<string, number | null>>): void;
}

export function createReplicaMetrics(sources: ReplicaMetricSources): ReplicaMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const { soft, counters } = sources;
  scrapedCounter(registry, 'mrtom_replica_datagrams_dropped_total', 'Datagrams dropped by the replica, by reason', ['reason'], () => [
    ...byReason(counters().dropped),
    ...byReason(sources.receiveDrops()),
  ]);
  scrapedCounter(registry, 'mrtom_replica_appended_total', 'Log entries appended', [], () => [[{}, counters().appended]]);
  scrapedCounter(registry, 'mrtom_replica_duplicates_total', 'ORDERED datagrams received more than once', [], () => [
    [{}, counters().duplicates],
  ]);
  scrapedCounter(registry, 'mrtom_replica_retransmit_requests_total', 'RETRANSMIT requests sent to the sequencer', [], () => [
    [{}, counters().retransmitRequests],
  ]);
  scrapedCounter(registry, 'mrtom_replica_log_requests_total', 'LOG_REQUESTs sent to peers (gaps, catch-up, view change)', [], () => [
    [{}, counters().logRequests],
  ]);
  scrapedCounter(registry, 'mrtom_replica_noops_decided_total', 'Slots this replica, as leader, decided to be NO-OPs', [], () => [
    [{}, counters().noopsDecided],
  ]);
  scrapedCounter(registry, 'mrtom_replica_view_changes_total', 'View changes this replica started or joined', [], () => [
    [{}, counters().viewChanges],
  ]);
  scrapedGauge(registry, 'mrtom_replica_view', 'Current view', () => soft().view);
  scrapedGauge(registry, 'mrtom_replica_session', 'Current sequencer session', () => soft().session);
  scrapedGauge(registry, 'mrtom_replica_through_slot', 'Highest slot held with no gap below it', () => soft().through);
  scrapedGauge(registry, 'mrtom_replica_commit_slot', 'Highest slot known committed', () => soft().commit);
  scrapedGauge(registry, 'mrtom_replica_applied_slot', 'Highest slot applied to the store', () => soft().applied);
  scrapedGauge(registry, 'mrtom_replica_requests_in_flight', 'Requests this node submitted and not yet applied', sources.requestsInFlight);
  scrapedGauge(
    registry,
    'mrtom_store_split_puts_held',
    'Split puts whose pieces are held, awaiting their last piece',
    sources.splitPutsHeld,
  );
  scrapedGauge(
    registry,
    'mrtom_replica_log_entries',
    'Log entries held in memory (applied window and unapplied tail)',
    () => soft().logEntries,
  );
  scrapedGauge(registry, 'mrtom_replica_apply_lag_slots', 'Slots known committed but not yet applied', () =>
    Math.max(0, soft().commit - soft().applied),
  );
  const stages = new Histogram({
    name: 'mrtom_replica_request_stage_seconds',
    help: 'Time from submitting a request on this node to each stage here: sent, stamped, durable, committed, applied (the reply)',
    labelNames: ['stage'],
    buckets: [0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5],
    registers: [registry],
  });
  return {
    registry,
    observeLatency: (latency) => {
      for (const [name, ms] of Object.entries(latency)) if (ms !== null) stages.observe({ stage: name.replace(/Ms$/, '') }, ms / 1000);
    },
  };
}
