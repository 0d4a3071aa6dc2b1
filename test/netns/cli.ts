// `npm run test:faults`: builds the namespace topology on the host (taking the m6- lock, clearing what
// a crashed run left, tearing down on exit and signals), then runs the driver inside the client
// namespace, whose network is the only one that reaches the cluster, and passes its exit code on.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseFaultsOptions } from './options.js';
import { assertBuildFresh, buildXdp } from './processes.js';
import { checkTools } from './tools.js';
import { CLIENT_NS, planTopology, setUpTopology } from './topology.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const DRIVER = fileURLToPath(new URL('./driver.ts', import.meta.url));

const argv = process.argv.slice(2);
const options = parseFaultsOptions(argv);
checkTools();
assertBuildFresh();
if (options.dataplane === 'xdp') {
  buildXdp();
  // docs/testing.md: the program runs before netfilter, so the sequencer's own ingress faults miss it.
  console.log("xdp data plane: faults on the sequencers' ingress apply to what the kernel passes up only (docs/testing.md)");
}
const teardown = setUpTopology(planTopology(options.shape));
const driver = spawn('ip', ['netns', 'exec', CLIENT_NS, process.execPath, '--import', 'tsx', DRIVER, ...argv], {
  cwd: REPO,
  stdio: 'inherit',
});
driver.once('exit', (code, signal) => {
  teardown();
  process.exit(code ?? (signal === null ? 1 : 128));
});
