// The data planes the conformance suite runs against, and whether this machine can run each: both need
// network namespaces (root, iproute2); XDP also needs its build (clang, libbpf-dev) and a kernel that loads it.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { netnsUnavailableReason } from './topology.js';

export interface DataPlane {
  name: 'userspace' | 'xdp';
  /** The sequencer's flags for this plane, given the interface of its namespace. */
  flags(interfaceName: string): string[];
  /** Why it cannot run here, or null. */
  unavailableReason: string | null;
}

const BUILD = fileURLToPath(new URL('../../../src/sequencer/xdp/build.sh', import.meta.url));

function xdpUnavailableReason(): string | null {
  const netns = netnsUnavailableReason();
  if (netns !== null) return netns;
  try {
    execFileSync('sh', [BUILD], { stdio: ['ignore', 'pipe', 'pipe'] });
    return null;
  } catch (err) {
    return `the XDP data plane does not build here (npm run build:xdp needs clang and libbpf-dev): ${(err as Error).message}`;
  }
}

export const DATA_PLANES: readonly DataPlane[] = [
  { name: 'userspace', flags: () => [], unavailableReason: netnsUnavailableReason() },
  {
    name: 'xdp',
    flags: (name) => ['--dataplane', 'xdp', '--interface', name, '--xdp-mode', 'generic'],
    unavailableReason: xdpUnavailableReason(),
  },
];
