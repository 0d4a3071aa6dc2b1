// The harness's network: every cluster member (sequencer or replica) and the clients in a network
// namespace of their own, each attached by a veth pair to one Linux bridge that lives in a namespace too,
// so nothing is added to the host's interfaces, routes or firewall. Names start with `m6-`, addresses
// are in 10.66.0.0/16. The plan is pure (the driver inside the client namespace recomputes it from the
// same shape); building and tearing down are synchronous so they also run from exit and signal handlers.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const NETNS_PREFIX = 'm6-';
export const BRIDGE = 'm6br0';
export const SWITCH_NS = 'm6-switch';
export const CLIENT_NS = 'm6-client';
/** Per-run folders (data, logs, config) start with this inside the OS temp folder. */
export const RUN_DIR_PREFIX = 'm6-netns-run-';
const LOCK_PATH = join(tmpdir(), 'm6-netns.lock');
const PREFIX_BITS = 16;
/** Killed processes leave their namespace within milliseconds; this bounds the wait on a loaded box. */
const NAMESPACE_EMPTY_DEADLINE_MS = 10_000;
const NAMESPACE_POLL_INTERVAL_MS = 20;
/** A synchronous pause between polls (teardown also runs in 'exit' handlers, where nothing async runs). */
const PAUSE = new Int32Array(new SharedArrayBuffer(4));

export type MemberName = `r${number}` | `s${number}`;

export interface Host {
  /** The namespace it runs in. */
  ns: string;
  /** Its IPv4 address on the bridge. */
  address: string;
  /** The bridge side of its veth pair; the namespace side is always `eth0`. */
  bridgePort: string;
}

export interface Member extends Host {
  name: MemberName;
  kind: 'replica' | 'sequencer';
  id: number;
}

export interface TopologyShape {
  replicas: number;
  sequencers: number;
}

export interface Topology {
  shape: TopologyShape;
  members: readonly Member[];
  client: Host;
}

export const MEMBER_INTERFACE = 'eth0';

export function planTopology(shape: TopologyShape): Topology {
  const member = (kind: Member['kind'], id: number): Member => {
    const name: MemberName = kind === 'replica' ? `r${id}` : `s${id}`;
    return { name, kind, id, ns: `${NETNS_PREFIX}${name}`, address: `10.66.${kind === 'replica' ? 1 : 2}.${id}`, bridgePort: `m6-${name}` };
  };
  return {
    shape,
    members: [
      ...Array.from({ length: shape.sequencers }, (_, i) => member('sequencer', i + 1)),
      ...Array.from({ length: shape.replicas }, (_, i) => member('replica', i + 1)),
    ],
    client: { ns: CLIENT_NS, address: '10.66.3.1', bridgePort: 'm6-client' },
  };
}

function ip(...args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Namespaces whose name carries our prefix: ours by construction, left over or live. */
function ourNamespaces(): string[] {
  return ip('netns', 'list')
    .split('\n')
    .map((line) => line.split(' ')[0]!)
    .filter((name) => name.startsWith(NETNS_PREFIX));
}

export function pidsIn(ns: string): number[] {
  return ip('netns', 'pids', ns)
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map(Number);
}

/**
 * Takes the machine-wide lock of the m6- names: two harness runs at once would tear each other's
 * namespaces down. A lock whose holder is dead is stale and taken over.
 */
function acquireLock(): void {
  if (existsSync(LOCK_PATH)) {
    const holder = Number(readFileSync(LOCK_PATH, 'utf8'));
    if (holder !== process.pid && isAlive(holder)) {
      throw new Error(`another netns harness (pid ${holder}) holds ${LOCK_PATH}; wait for it to finish`);
    }
  }
  writeFileSync(LOCK_PATH, String(process.pid));
}

function releaseLock(): void {
  if (existsSync(LOCK_PATH) && Number(readFileSync(LOCK_PATH, 'utf8')) === process.pid) unlinkSync(LOCK_PATH);
}

function isAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Removes everything a harness run creates: every process in an m6- namespace (SIGKILL), the namespaces
 * (their veths and the bridge go with them) and the run folders. Only the lock holder calls this, so no
 * live run is torn down under another.
 */
function removeAll(): void {
  const namespaces = ourNamespaces();
  for (const ns of namespaces) {
    for (const pid of pidsIn(ns)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Exited between listing and killing.
      }
    }
  }
  const giveUpAt = Date.now() + NAMESPACE_EMPTY_DEADLINE_MS;
  for (const ns of namespaces) {
    // A namespace outlives its mount while a process is in it: wait until the kills have landed.
    while (pidsIn(ns).length > 0) {
      if (Date.now() > giveUpAt) throw new Error(`processes in ${ns} survived SIGKILL for ${NAMESPACE_EMPTY_DEADLINE_MS} ms`);
      Atomics.wait(PAUSE, 0, 0, NAMESPACE_POLL_INTERVAL_MS);
    }
    ip('netns', 'delete', ns);
  }
  for (const entry of readdirSync(tmpdir())) {
    if (entry.startsWith(RUN_DIR_PREFIX)) rmSync(join(tmpdir(), entry), { recursive: true, force: true });
  }
}

/** Creates the namespaces, the bridge and one veth pair per host, addressed and up. */
function buildTopology(topology: Topology): void {
  ip('netns', 'add', SWITCH_NS);
  ip('-n', SWITCH_NS, 'link', 'add', BRIDGE, 'type', 'bridge');
  ip('-n', SWITCH_NS, 'link', 'set', BRIDGE, 'up');
  for (const host of [...topology.members, topology.client]) {
    ip('netns', 'add', host.ns);
    ip('-n', SWITCH_NS, 'link', 'add', host.bridgePort, 'type', 'veth', 'peer', 'name', MEMBER_INTERFACE, 'netns', host.ns);
    ip('-n', SWITCH_NS, 'link', 'set', host.bridgePort, 'master', BRIDGE, 'up');
    ip('-n', host.ns, 'addr', 'add', `${host.address}/${PREFIX_BITS}`, 'dev', MEMBER_INTERFACE);
    ip('-n', host.ns, 'link', 'set', MEMBER_INTERFACE, 'up');
    ip('-n', host.ns, 'link', 'set', 'lo', 'up');
  }
}

/**
 * The whole lifetime of a topology for one harness process: takes the lock, clears what an earlier
 * crashed run left, builds, and arranges for teardown on exit and on the usual signals (a crash of this
 * process included, through 'exit'). Returns the teardown, which is idempotent.
 */
export function setUpTopology(topology: Topology): () => void {
  acquireLock();
  removeAll();
  let down = false;
  const teardown = (): void => {
    if (down) return;
    down = true;
    removeAll();
    releaseLock();
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    teardown();
    process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGHUP' ? 1 : 15));
  };
  process.once('exit', teardown);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(signal, onSignal);
  try {
    buildTopology(topology);
  } catch (err) {
    teardown();
    throw err;
  }
  return teardown;
}
