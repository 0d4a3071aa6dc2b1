// Hosts in network namespaces on one Linux bridge, for the sequencer conformance suite: each host is a
// namespace `m5-<name>` with a veth `m5-<name>` (its end) whose peer `m5-<name>b` is a port of the bridge
// m5br0 in the root namespace, addresses in 10.55.0.0/24 (the root namespace takes .254 to reach them).
// Everything carries the m5- prefix, and destroy() removes everything with it, also what a crashed run left.
import { execFileSync } from 'node:child_process';

export const BRIDGE = 'm5br0';
const PREFIX = 'm5-';
const SUBNET = '10.55.0';
const ROOT_ADDRESS = `${SUBNET}.254`;

export interface Host {
  name: string;
  /** The namespace, also the name of the host's end of its veth. */
  ns: string;
  ip: string;
}

function ip(...args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Why namespaces cannot be made here, or null when they can. */
export function netnsUnavailableReason(): string | null {
  if (process.getuid?.() !== 0) return 'network namespaces need root';
  try {
    ip('netns', 'list');
    return null;
  } catch (err) {
    return `iproute2 is not usable: ${(err as Error).message}`;
  }
}

/** Removes every m5- namespace and link and the bridge; safe to call when none exist. */
export function destroyTopology(): void {
  for (const line of ip('netns', 'list').split('\n')) {
    const ns = line.split(' ')[0] ?? '';
    if (ns.startsWith(PREFIX)) ip('netns', 'delete', ns);
  }
  for (const line of ip('-o', 'link', 'show').split('\n')) {
    const name = line.split(': ')[1]?.split('@')[0] ?? '';
    if (name.startsWith(PREFIX) || name === BRIDGE) deleteLink(name);
  }
}

/** A veth goes with its peer, asynchronously, when a namespace holding one end is deleted. */
function deleteLink(name: string): void {
  try {
    ip('link', 'delete', name);
  } catch (err) {
    if (!String((err as { stderr?: unknown }).stderr).includes('Cannot find device')) throw err;
  }
}

/** Hosts `names[i]` at 10.55.0.`octets[i]`, all on the bridge. */
export function createTopology(hosts: readonly { name: string; octet: number }[]): Host[] {
  destroyTopology();
  ip('link', 'add', BRIDGE, 'type', 'bridge', 'mcast_snooping', '0');
  ip('addr', 'add', `${ROOT_ADDRESS}/24`, 'dev', BRIDGE);
  ip('link', 'set', BRIDGE, 'up');
  return hosts.map(({ name, octet }) => {
    const ns = `${PREFIX}${name}`;
    const address = `${SUBNET}.${octet}`;
    ip('netns', 'add', ns);
    ip('link', 'add', ns, 'type', 'veth', 'peer', 'name', `${ns}b`);
    ip('link', 'set', `${ns}b`, 'master', BRIDGE, 'up');
    ip('link', 'set', ns, 'netns', ns);
    ip('-n', ns, 'addr', 'add', `${address}/24`, 'dev', ns);
    ip('-n', ns, 'link', 'set', 'lo', 'up');
    ip('-n', ns, 'link', 'set', ns, 'up');
    return { name, ns, ip: address };
  });
}

/** The argv that runs `command` inside `host`'s namespace. */
export function inNamespace(host: Host, command: readonly string[]): string[] {
  return ['netns', 'exec', host.ns, ...command];
}
