// Target (b): bench/baseline-server.ts compiled, the same API on one unreplicated LevelDB.
import { startChild } from '../child.js';
import { compiledBenchScript } from '../paths.js';
import { freePortRun } from '../ports.js';
import type { Target } from './target.js';

export const baseline: Target = {
  name: 'baseline',
  unavailableReason: () => undefined,
  async deploy(dataDir, repoDir) {
    const port = await freePortRun(1);
    const args = [compiledBenchScript('baseline-server'), '--port', String(port), '--data', dataDir];
    const child = startChild('baseline server', process.execPath, args, repoDir);
    const origin = `http://127.0.0.1:${port}`;
    return {
      children: [child],
      probes: [{ url: `${origin}/readyz`, isReady: (status) => status === 200 }],
      loadOrigins: [origin],
      writeRequest: (key, value) => ({
        method: 'PUT',
        path: `/v1/kv/${key}`,
        headers: { 'content-type': 'application/octet-stream' },
        body: value,
      }),
    };
  },
};
