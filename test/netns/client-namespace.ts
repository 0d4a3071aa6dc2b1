// Runs a script inside the client namespace of a freshly built topology: checks the tools and the build,
// builds the XDP data plane when asked, builds the namespaces (taking the m6- lock, clearing what a crashed
// run left, tearing down on exit and signals), and passes the script's exit code on. The client namespace's
// network is the only one that reaches the cluster. Used by `npm run test:faults` and `npm run bench:planes`.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { assertBuildFresh, buildXdp } from './processes.js';
import { checkTools } from './tools.js';
import { CLIENT_NS, planTopology, setUpTopology, type TopologyShape } from './topology.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

export function runInClientNamespace(script: string, argv: readonly string[], shape: TopologyShape, withXdp: boolean): void {
  checkTools();
  assertBuildFresh();
  if (withXdp) buildXdp();
  const teardown = setUpTopology(planTopology(shape));
  const child = spawn('ip', ['netns', 'exec', CLIENT_NS, process.execPath, '--import', 'tsx', script, ...argv], {
    cwd: REPO,
    stdio: 'inherit',
  });
  child.once('exit', (code, signal) => {
    teardown();
    process.exit(code ?? (signal === null ? 1 : 128));
  });
}
