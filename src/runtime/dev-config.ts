// The configuration `mrtom-kv dev` generates: one sequencer and n replicas on loopback. Written to
// `<data>/cluster.json` so the same cluster can be started by hand, process by process.
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError, loadClusterConfig, validateClusterConfig, type ClusterConfig, type Durability } from '../config/cluster.js';

export interface DevClusterShape {
  dataDir: string;
  /** HTTP port of replica 1; replica i serves on port + i - 1. */
  port: number;
  replicas: number;
  /** The first serves; the others are standbys a session change can move to. */
  sequencers: number;
  durability: Durability;
}

/** Port layout from the base port: replica i serves HTTP on port + i - 1 and UDP on port + 100 + i - 1;
 *  sequencer j listens on UDP port + 90 + j - 1 and serves metrics on HTTP port + 80 + j - 1. */
export const DEV_PORT_OFFSETS = { replicaUdp: 100, sequencerUdp: 90, sequencerMetrics: 80 } as const;
const LOOPBACK = '127.0.0.1';

export function devClusterConfig(shape: DevClusterShape): ClusterConfig {
  const ids = Array.from({ length: shape.replicas }, (_, i) => i + 1);
  return validateClusterConfig(
    {
      group: 1,
      replicas: ids.map((id) => ({
        id,
        host: LOOPBACK,
        httpPort: shape.port + id - 1,
        udpPort: shape.port + DEV_PORT_OFFSETS.replicaUdp + id - 1,
        dataDir: `replica-${id}`,
      })),
      sequencers: Array.from({ length: shape.sequencers }, (_, i) => ({
        id: i + 1,
        host: LOOPBACK,
        port: shape.port + DEV_PORT_OFFSETS.sequencerUdp + i,
        metricsPort: shape.port + DEV_PORT_OFFSETS.sequencerMetrics + i,
      })),
      durability: shape.durability,
      datagramBytesMax: 65_000,
      ringCapacity: 65_536,
    },
    'generated dev config',
  );
}

export function clusterConfigPath(dataDir: string): string {
  return join(dataDir, 'cluster.json');
}

/** Writes the generated config, or reuses the one a previous run left if it describes the same shape
 *  (the data folders belong to that cluster). */
export async function prepareDevConfig(shape: DevClusterShape): Promise<ClusterConfig> {
  const path = clusterConfigPath(shape.dataDir);
  const wanted = devClusterConfig(shape);
  if (existsSync(path)) {
    const existing = await loadClusterConfig(path);
    if (JSON.stringify(existing) !== JSON.stringify(wanted)) {
      throw new ConfigError(
        `${path} describes a different cluster than --port/--replicas/--durability ask for; use another --data folder or remove ${shape.dataDir}`,
      );
    }
    return existing;
  }
  await mkdir(shape.dataDir, { recursive: true });
  await writeFile(path, `${JSON.stringify(wanted, null, 2)}\n`);
  return wanted;
}
