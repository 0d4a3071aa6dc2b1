// The messages between the runner and a load generator process, in order: the generator says
// ready; the runner sends a spec; the generator warms up and says warm; the runner takes its CPU
// snapshot and says measure; the generator runs the measured phase and sends its result, and
// exits once the runner closes the channel.
import type { WorkloadName } from './workloads.js';

export interface GeneratorSpec {
  target: string;
  origins: string[];
  connections: number;
  warmupS: number;
  durationS: number;
  workload: WorkloadName;
  valueBytes: number;
  keyPrefix: string;
}

export interface GeneratorResult {
  // 2xx responses in each full second of the measured phase.
  okPerSecond: number[];
  // Every 2xx response's time, unsorted, up to a cap (then counted in latencySamplesDropped).
  latenciesMs: Float64Array;
  latencySamplesDropped: number;
  ok: number;
  non2xx: number;
  // Socket errors and timeouts, which autocannon counts apart from HTTP statuses.
  errors: number;
}

export type ToGenerator = { kind: 'spec'; spec: GeneratorSpec } | { kind: 'measure' };
export type FromGenerator =
  { kind: 'ready' } | { kind: 'warm' } | { kind: 'result'; result: GeneratorResult } | { kind: 'failed'; message: string };
