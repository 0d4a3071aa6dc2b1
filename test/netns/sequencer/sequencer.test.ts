// The sequencer in network namespaces (docs/xdp.md): the conformance suite against both data planes, the
// XDP agent's life cycle, and a whole cluster over each plane. One file, so the suites run one after the
// other: they share the m5- namespaces and the bridge m5br0, which each suite creates and removes.
import { describeConformance } from './conformance.js';
import { describeWholeCluster } from './whole-cluster.js';
import { describeXdpAgent } from './xdp-agent.js';

describeConformance();
describeXdpAgent();
describeWholeCluster();
