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
  scrapedCounter(registry, 'mrtom_replica_log_requests_total', 'LOG_REQUESTs sent to peers (gaps, catch-up, view change)', [], () => [[{}, state.counters.logRequests]]);
  scrapedCounter(registry, 'mrtom_replica_noops_decided_total', 'Slots this replica, as leader, decided to be NO-OPs', [], () => [[{}, state.counters.noopsDecided]]);
  scrapedCounter(registry, 'mrtom_replica_view_changes_total', 'View changes this replica started or joined', [], () => [[{}, state.counters.viewChanges]]);
  scrapedGauge(registry, 'mrtom_replica_view', 'Current view', () => state.vs.view);
  scrapedGauge(registry, 'mrtom_replica_session', 'Current sequencer session', () => state.vs.session);
  scrapedGauge(registry, 'mrtom_replica_through_slot', 'Highest slot held with no gap below it', () => state.through);
  scrapedGauge(registry, 'mrtom_replica_commit_slot', 'Highest slot known committed', () => state.commit);
  scrapedGauge(registry, 'mrtom_replica_applied_slot', 'Highest slot applied to the store', () => state.applied);
  scrapedGauge(registry, 'mrtom_replica_requests_in_flight', 'Requests this node submitted and not yet applied', sources.requestsInFlight);
  return registry;
}
