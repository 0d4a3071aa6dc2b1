// The flags of `npm run bench:planes`, read by both its halves (cluster.ts on the host, cluster-driver.ts
// in the client namespace), and the cluster's shape.
import { parseArgs } from 'node:util';
import type { TopologyShape } from '../../test/netns/topology.js';

export const CLUSTER_SHAPE: TopologyShape = { replicas: 3, sequencers: 1 };

export interface PlanesFlags {
  seconds: number;
  warmupSeconds: number;
  rounds: number;
  connections: number[];
  valueBytes: number;
}

const USAGE = 'usage: npm run bench:planes [-- --seconds 8] [--warmup-seconds 2] [--rounds 3] [--connections 1,64] [--value-bytes 100]';

function positiveInteger(flag: string, text: string, max: number): number {
  const n = Number(text);
  if (!/^[0-9]+$/.test(text) || n < 1 || n > max) throw new Error(`--${flag} must be an integer from 1 to ${max}, got ${text}\n${USAGE}`);
  return n;
}

export function parsePlanesFlags(argv: readonly string[]): PlanesFlags {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      seconds: { type: 'string', default: '8' },
      'warmup-seconds': { type: 'string', default: '2' },
      rounds: { type: 'string', default: '3' },
      connections: { type: 'string', default: '1,64' },
      'value-bytes': { type: 'string', default: '100' },
    },
  });
  return {
    seconds: positiveInteger('seconds', values.seconds, 600),
    warmupSeconds: positiveInteger('warmup-seconds', values['warmup-seconds'], 60),
    rounds: positiveInteger('rounds', values.rounds, 20),
    connections: values.connections.split(',').map((c) => positiveInteger('connections', c, 1024)),
    valueBytes: positiveInteger('value-bytes', values['value-bytes'], 1200),
  };
}
