// The replica's Prometheus metrics: protocol progress, drops by reason, submitter load.
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { ReplicaState } from '../consensus/replica.js';
import { byReason, scrapedCounter, scrapedGauge } from './scraped.js';

export interface ReplicaMetricSources {
  state: ReplicaState;
  /** Datagrams from addresses other than the sequencer's. */
  unknownSourceDrops(): number;
  requestsInFlight(): number;
}

export function createReplicaMetrics(sources: ReplicaMetricSources): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const { state } = sources;
  scrapedCounter(registry, 'mrtom_replica_datagrams_dropped_total', 'Datagrams dropped by the replica, by reason', ['reason'], () => [
    ...byReason(state.counters.dropped),
    [{ reason: 'unknown-source' }, sources.unknownSourceDrops()],
  ]);
  scrapedCounter(registry, 'mrtom_replica_appended_total', 'Log entries appended', [], () => [[{}, state.counters.appended]]);
  scrapedCounter(registry, 'mrtom_replica_duplicates_total', 'ORDERED datagrams received more than once', [], () => [[{}, state.counters.duplicates]]);
  scrapedCounter(registry, 'mrtom_replica_retransmit_requests_total', 'RETRANSMIT requests sent to the sequencer', [], () => [[{}, state.counters.retransmitRequests]]);
  scrapedGauge(registry, 'mrtom_replica_view', 'Current view', () => state.view);
  scrapedGauge(registry, 'mrtom_replica_session', 'Current sequencer session', () => state.session);
  scrapedGauge(registry, 'mrtom_replica_through_seq', 'Highest seq held with no gap below it', () => state.through);
  scrapedGauge(registry, 'mrtom_replica_commit_seq', 'Highest seq known committed', () => state.commit);
  scrapedGauge(registry, 'mrtom_replica_applied_seq', 'Highest seq applied to the store', () => state.applied);
  scrapedGauge(registry, 'mrtom_replica_requests_in_flight', 'Requests this node submitted and not yet applied', sources.requestsInFlight);
  return registry;
}
