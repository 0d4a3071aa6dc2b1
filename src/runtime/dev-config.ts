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
  durability: Durability;
}

/** UDP ports sit 100 above the HTTP ports: the sequencer at port + 99, replica i at port + 100 + i - 1.
 *  The sequencer's metrics HTTP port is port + 98. */
const UDP_PORT_OFFSET = 100;
const SEQUENCER_METRICS_PORT_OFFSET = 98;
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
        udpPort: shape.port + UDP_PORT_OFFSET + id - 1,
        dataDir: `replica-${id}`,
      })),
      sequencers: [{ id: 1, host: LOOPBACK, port: shape.port + UDP_PORT_OFFSET - 1, metricsPort: shape.port + SEQUENCER_METRICS_PORT_OFFSET }],
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
