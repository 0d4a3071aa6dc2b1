// `npm run test:faults`: runs the driver inside the client namespace of a fresh topology
// (client-namespace.ts) and passes its exit code on.
import { fileURLToPath } from 'node:url';
import { runInClientNamespace } from './client-namespace.js';
import { parseFaultsOptions } from './options.js';

const DRIVER = fileURLToPath(new URL('./driver.ts', import.meta.url));

const argv = process.argv.slice(2);
const options = parseFaultsOptions(argv);
if (options.dataplane === 'xdp') {
  // docs/testing.md: the program runs before netfilter, so the sequencer's own ingress faults miss it.
  console.log("xdp data plane: faults on the sequencers' ingress apply to what the kernel passes up only (docs/testing.md)");
}
runInClientNamespace(DRIVER, argv, options.shape, options.dataplane === 'xdp');
