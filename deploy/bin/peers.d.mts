// Types for the pure helpers of peers.mjs, so the TypeScript tests can import them.
export interface ClusterHosts {
  replicas: ReadonlyArray<{ id: number; host: string; httpPort: number; [field: string]: unknown }>;
  sequencers: ReadonlyArray<{ id: number; host: string; metricsPort?: number; [field: string]: unknown }>;
}
export function hostsOf(config: ClusterHosts): string[];
export function selfEndpoint(config: ClusterHosts, role: string, id: number): { host: string; port: number };
export function movedHosts(recorded: Record<string, string>, current: Record<string, string>): string[];
