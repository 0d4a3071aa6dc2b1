// The replica's Prometheus metrics: protocol progress, drops by reason, submitter load.
import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import type { ReplicaState } from '../consensus/replica.js';
import { byReason, scrapedCounter, scrapedGauge } from './scraped.js';

export interface ReplicaMetricSources {
  state: ReplicaState;
  /** Datagrams from addresses other than the sequencer's. */
  unknownSourceDrops(): number;
  requestsInFlight(): number;
}

export interface ReplicaMetrics {
  registry: Registry;
  /** Observes one request's time from submission to being applied on this replica. */
  observeCommitLatency(latencyMs: number): void;
}

export function createReplicaMetrics(sources: ReplicaMetricSources): ReplicaMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const { state } = sources;
  scrapedCounter(registry, 'mrtom_replica_datagrams_dropped_total', 'Datagrams dropped by the replica, by reason', ['reason'], () => [
    ...byReason(state.counters.dropped),
    [{ reason: 'unknown-source' }, sources.unknownSourceDrops()],
  ]);
  scrapedCounter(registry, 'mrtom_replica_appended_total', 'Log entries appended', [], () => [[{}, state.counters.appended]]);
  scrapedCounter(registry, 'mrtom_replica_duplicates_total', 'ORDERED datagrams received more than once', [], () => [
    [{}, state.counters.duplicates],
  ]);
  scrapedCounter(registry, 'mrtom_replica_retransmit_requests_total', 'RETRANSMIT requests sent to the sequencer', [], () => [
    [{}, state.counters.retransmitRequests],
  ]);
  scrapedCounter(registry, 'mrtom_replica_log_requests_total', 'LOG_REQUESTs sent to peers (gaps, catch-up, view change)', [], () => [
    [{}, state.counters.logRequests],
  ]);
  scrapedCounter(registry, 'mrtom_replica_noops_decided_total', 'Slots this replica, as leader, decided to be NO-OPs', [], () => [
    [{}, state.counters.noopsDecided],
  ]);
  scrapedCounter(registry, 'mrtom_replica_view_changes_total', 'View changes this replica started or joined', [], () => [
    [{}, state.counters.viewChanges],
  ]);
  scrapedGauge(registry, 'mrtom_replica_view', 'Current view', () => state.vs.view);
  scrapedGauge(registry, 'mrtom_replica_session', 'Current sequencer session', () => state.vs.session);
  scrapedGauge(registry, 'mrtom_replica_through_slot', 'Highest slot held with no gap below it', () => state.through);
  scrapedGauge(registry, 'mrtom_replica_commit_slot', 'Highest slot known committed', () => state.commit);
  scrapedGauge(registry, 'mrtom_replica_applied_slot', 'Highest slot applied to the store', () => state.applied);
  scrapedGauge(registry, 'mrtom_replica_requests_in_flight', 'Requests this node submitted and not yet applied', sources.requestsInFlight);
  scrapedGauge(
    registry,
    'mrtom_replica_log_entries',
    'Log entries held in memory (applied window and unapplied tail)',
    () => state.log.size,
  );
  scrapedGauge(registry, 'mrtom_replica_apply_lag_slots', 'Slots known committed but not yet applied', () =>
    Math.max(0, state.commit - state.applied),
  );
  const commitLatency = new Histogram({
    name: 'mrtom_replica_commit_latency_seconds',
    help: 'Time from submitting a request to applying it on this replica',
    buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5],
    registers: [registry],
  });
  return { registry, observeCommitLatency: (latencyMs) => commitLatency.observe(latencyMs / 1000) };
}
