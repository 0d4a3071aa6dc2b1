// What the runner needs from each system under test: how to start it, how to tell it is ready,
// where to send load, and how one write looks on its API.
import type { Child } from '../child.js';
import type { ReadinessProbe } from '../ready.js';

export interface WriteRequest {
  method: 'PUT' | 'POST';
  path: string;
  headers: Record<string, string>;
  body: Buffer;
}

export interface Deployment {
  children: Child[];
  probes: ReadinessProbe[];
  // Origins (http://host:port) that load connections are spread over, round-robin.
  loadOrigins: string[];
  writeRequest(key: string, value: Buffer): WriteRequest;
}

export interface Target {
  name: string;
  // Why this target cannot run on this machine and how to fix that, or undefined when it can.
  unavailableReason(): string | undefined;
  deploy(dataDir: string, repoDir: string): Promise<Deployment>;
}
