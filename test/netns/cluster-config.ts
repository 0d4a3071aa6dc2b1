// The cluster.json of a harness cluster: the same schema `mrtom-kv dev` writes (src/config/cluster.ts),
// with each member on its own namespace address instead of loopback. Every member has an address of its
// own, so all of them use the same ports.
import { validateClusterConfig, type ClusterConfig, type Durability } from '../../src/config/cluster.js';
import type { DataPlaneName } from './options.js';
import { MEMBER_INTERFACE, type Topology } from './topology.js';

export const REPLICA_HTTP_PORT = 7001;
export const REPLICA_UDP_PORT = 7101;
export const SEQUENCER_UDP_PORT = 7090;
export const SEQUENCER_METRICS_PORT = 7080;
/** The XDP plane's delivery (and the userspace plane's when asked): one send to this group on the bridge. */
const MULTICAST_GROUP = { address: '239.66.0.1', port: 7200 };

/** `multicast`: fan out to a group; the XDP plane needs it, the userspace plane sends unicasts without it. */
export function clusterConfigFor(
  topology: Topology,
  durability: Durability,
  dataplane: DataPlaneName,
  multicast = dataplane === 'xdp',
): ClusterConfig {
  return validateClusterConfig(
    {
      group: 1,
      replicas: topology.members
        .filter((m) => m.kind === 'replica')
        .map((m) => ({ id: m.id, host: m.address, httpPort: REPLICA_HTTP_PORT, udpPort: REPLICA_UDP_PORT, dataDir: `replica-${m.id}` })),
      sequencers: topology.members
        .filter((m) => m.kind === 'sequencer')
        .map((m) => ({ id: m.id, host: m.address, port: SEQUENCER_UDP_PORT, metricsPort: SEQUENCER_METRICS_PORT })),
      durability,
      // An ORDERED must fit one Ethernet frame on the bridge: 1500 bytes of MTU minus the IP and UDP headers.
      datagramBytesMax: 1472,
      ringCapacity: 65_536,
      ...(multicast ? { multicast: MULTICAST_GROUP } : {}),
    },
    'netns harness cluster config',
  );
}

/** The sequencer's flags for the data plane: the XDP program goes on the member's own interface. */
export function sequencerFlagsFor(dataplane: DataPlaneName): string[] {
  return dataplane === 'xdp' ? ['--dataplane', 'xdp', '--interface', MEMBER_INTERFACE, '--xdp-mode', 'generic'] : [];
}

export function replicaUrl(address: string): string {
  return `http://${address}:${REPLICA_HTTP_PORT}`;
}

export function sequencerMetricsUrl(address: string): string {
  return `http://${address}:${SEQUENCER_METRICS_PORT}/metrics`;
}
