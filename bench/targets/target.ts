// What the runner needs from each system under test: how to start it, how to tell it is ready,
// where to send load, which processes serve it (for their CPU time), and how a write and a read
// look on its API.
import type { Child } from '../child.js';
import type { ReadinessProbe } from '../ready.js';

export interface HttpRequest {
  method: 'GET' | 'PUT' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
}

// linearizable: ordered after every write acknowledged before it began; stale: whatever the
// serving node has applied (etcd calls it serializable).
export type ReadConsistency = 'linearizable' | 'stale';

// Pure request builders, so a load generator process can use them knowing only the target's name.
export interface TargetApi {
  // Returns a builder for writes of `value`: a target that encodes values (etcd, base64 in JSON)
  // does it once here rather than per request.
  writer(value: Buffer): (key: string) => HttpRequest;
  read(key: string, consistency: ReadConsistency): HttpRequest;
}

export interface RoleProcess {
  // 'sequencer 1', 'replica 2', 'member m0', 'server', ...
  role: string;
  pid: number;
  // False for helpers such as the dev supervisor: reported, but not in the server CPU sum.
  isServer: boolean;
  isLeader: boolean;
}

export interface Deployment {
  children: Child[];
  probes: ReadinessProbe[];
  // Origins (http://host:port) that load connections are spread over, round-robin.
  loadOrigins: string[];
  // Looked up before every measured run: a supervisor may have restarted a process since the last.
  roles(): Promise<RoleProcess[]>;
  // Cumulative protocol counters (log slots used, view changes, ...); each run reports their change.
  counters(): Promise<Record<string, number>>;
}

export interface Target {
  name: string;
  api: TargetApi;
  // Why this target cannot run on this machine and how to fix that, or undefined when it can.
  unavailableReason(): string | undefined;
  deploy(dataDir: string, repoDir: string): Promise<Deployment>;
}
