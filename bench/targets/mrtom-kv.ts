// Target (a): the mrtom-kv dev cluster, compiled (`node dist/cli/main.js dev`) — a sequencer and
// three replicas started by one command, serving HTTP on ports p, p+1 and p+2.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startChild } from '../child.js';
import { freePortRun } from '../ports.js';
import type { Target } from './target.js';

const replicaCount = 3;
const cliEntry = join('dist', 'cli', 'main.js');

export const mrtomKv: Target = {
  name: 'mrtom-kv',
  unavailableReason: () => undefined,
  async deploy(dataDir, repoDir) {
    if (!existsSync(join(repoDir, cliEntry))) throw new Error(`no ${cliEntry}: run npm run build (npm run bench does)`);
    const port = await freePortRun(replicaCount);
    const args = [cliEntry, 'dev', '--data', dataDir, '--port', String(port)];
    const child = startChild('mrtom-kv dev cluster', process.execPath, args, repoDir);
    const origins = Array.from({ length: replicaCount }, (_, index) => `http://127.0.0.1:${port + index}`);
    return {
      children: [child],
      probes: origins.map((origin) => ({ url: `${origin}/readyz`, isReady: (status) => status === 200 })),
      loadOrigins: origins,
      writeRequest: (key, value) => ({
        method: 'PUT',
        path: `/v1/kv/${key}`,
        headers: { 'content-type': 'application/octet-stream' },
        body: value,
      }),
    };
  },
};
