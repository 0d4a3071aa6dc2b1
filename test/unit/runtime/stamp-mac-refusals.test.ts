// Proves that a cluster config asking a sequencer to tag its stamps (stampMac) is refused at start where
// it cannot be honoured: by that sequencer without the cluster key or on the XDP plane, and by a replica
// without the key (which could check nothing). How: the real node start functions, which refuse before
// they bind a socket or open a store.
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { ConfigError, validateClusterConfig, type ClusterConfig } from '../../../src/config/cluster.js';
import { devClusterConfig } from '../../../src/runtime/dev-config.js';
import { startReplicaNode } from '../../../src/runtime/replica-node.js';
import { startSequencerNode } from '../../../src/runtime/sequencer-node.js';

const logger = pino({ level: 'silent' });
const CLUSTER_KEY = Buffer.from('a cluster key of more than sixteen bytes');

function configWithStampMac(): ClusterConfig {
  const dev = devClusterConfig({ dataDir: '/nonexistent/mrtom-stamp-mac', port: 7001, replicas: 3, sequencers: 1, durability: 'memory' });
  return validateClusterConfig({ ...dev, sequencers: dev.sequencers.map((s) => ({ ...s, stampMac: true })) }, 'test config');
}

describe('stampMac refusals', () => {
  it('refuses a sequencer with stampMac and no cluster key', async () => {
    await expect(startSequencerNode({ config: configWithStampMac(), sequencerId: 1, logger })).rejects.toThrow(
      new ConfigError('sequencer 1 has stampMac in the cluster config: give it the cluster key (--cluster-key-file)'),
    );
  });

  it('refuses a sequencer with stampMac on the XDP plane, key or not', async () => {
    const xdp = { interfaceName: 'lo', mode: 'generic' as const };
    await expect(
      startSequencerNode({ config: configWithStampMac(), sequencerId: 1, logger, xdp, clusterKey: CLUSTER_KEY }),
    ).rejects.toThrow(/the XDP plane stamps in the kernel, which holds no key/);
  });

  it('refuses a replica without the cluster key when a sequencer has stampMac', async () => {
    await expect(startReplicaNode({ config: configWithStampMac(), configDir: '/', replicaId: 1, logger })).rejects.toThrow(
      /sequencers 1 have stampMac in the cluster config: give every replica the cluster key/,
    );
  });
});
