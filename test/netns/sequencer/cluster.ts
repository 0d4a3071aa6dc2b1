// The cluster the sequencer suites run: a sequencer and three replicas (and a stranger that is none of
// them) in their own namespaces, and the cluster config that describes them, with a multicast group.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { validateClusterConfig, type ClusterConfig } from '../../../src/config/cluster.js';
import { GROUP } from '../../unit/sequencer/fixtures.js';
import { createTopology, type Host } from './topology.js';

export const SEQUENCER = { ip: '10.55.0.1', port: 7090, metricsPort: 7080 };
export const REPLICA_UDP_PORT = 7100;
export const MULTICAST = { address: '239.55.0.1', port: 7200 };
export const DATAGRAM_BYTES_MAX = 1400;
/** Small enough for a test to overrun it. */
export const RING_CAPACITY = 64;
export const METRICS_URL = `http://${SEQUENCER.ip}:${SEQUENCER.metricsPort}`;

export interface ClusterHosts {
  sequencer: Host;
  replicas: [Host, Host, Host];
  stranger: Host;
}

export function createClusterHosts(): ClusterHosts {
  const [sequencer, r1, r2, r3, stranger] = createTopology([
    { name: 'seq', octet: 1 },
    { name: 'r1', octet: 11 },
    { name: 'r2', octet: 12 },
    { name: 'r3', octet: 13 },
    { name: 'stranger', octet: 99 },
  ]) as [Host, Host, Host, Host, Host];
  return { sequencer, replicas: [r1, r2, r3], stranger };
}

/** Writes cluster.json for `hosts` into `dataDir`; returns its path. */
export async function writeClusterConfig(dataDir: string, hosts: ClusterHosts, overrides: Partial<ClusterConfig> = {}): Promise<string> {
  const config = validateClusterConfig(
    {
      group: GROUP,
      replicas: hosts.replicas.map((h, i) => ({ id: i + 1, host: h.ip, udpPort: REPLICA_UDP_PORT, httpPort: 7000, dataDir: `r${i + 1}` })),
      sequencers: [{ id: 1, host: SEQUENCER.ip, port: SEQUENCER.port, metricsPort: SEQUENCER.metricsPort }],
      durability: 'memory',
      datagramBytesMax: DATAGRAM_BYTES_MAX,
      ringCapacity: RING_CAPACITY,
      multicast: MULTICAST,
      ...overrides,
    },
    'sequencer suite config',
  );
  const path = join(dataDir, 'cluster.json');
  await writeFile(path, JSON.stringify(config));
  return path;
}
