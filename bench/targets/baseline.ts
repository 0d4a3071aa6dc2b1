// Target (b): bench/baseline-server.ts compiled, the same API on one unreplicated LevelDB.
import { pidOf, startChild } from '../child.js';
import { compiledBenchScript } from '../paths.js';
import { freePortBase, tcpRun } from '../ports.js';
import { kvApi } from './kv-api.js';
import type { Target } from './target.js';

export const baseline: Target = {
  name: 'baseline',
  // One copy of the data has no stale state: its GET is the reference for both read modes.
  api: kvApi(() => ''),
  unavailableReason: () => undefined,
  async deploy(dataDir, repoDir) {
    const port = await freePortBase(tcpRun(1));
    const args = [compiledBenchScript('baseline-server'), '--port', String(port), '--data', dataDir];
    const child = startChild('baseline server', process.execPath, args, repoDir);
    const origin = `http://127.0.0.1:${port}`;
    return {
      children: [child],
      probes: [{ url: `${origin}/readyz`, isReady: (status) => status === 200 }],
      loadOrigins: [origin],
      roles: async () => [{ role: 'server', pid: pidOf(child), isServer: true, isLeader: false }],
      counters: async () => ({}),
    };
  },
};
