// `npm run bench:planes [-- --seconds 8 --rounds 3 --connections 1,64]`: end-to-end cluster write
// throughput with each sequencer data plane, side by side in one run (cluster-driver.ts), on the fault
// harness's namespaces and bridge (test/netns). Validates the flags here, before anything is built. Needs root.
import { fileURLToPath } from 'node:url';
import { runInClientNamespace } from '../../test/netns/client-namespace.js';
import { CLUSTER_SHAPE, parsePlanesFlags } from './cluster-flags.js';

const argv = process.argv.slice(2);
parsePlanesFlags(argv);
runInClientNamespace(fileURLToPath(new URL('./cluster-driver.ts', import.meta.url)), argv, CLUSTER_SHAPE, true);
