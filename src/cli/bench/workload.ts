// The load `mrtom-kv bench` applies: `connections` concurrent loops through one SDK client, each issuing a
// get or a put (by the mix) on a random key of a fixed key space, closed-loop, until the duration ends.
// Latencies go into an HDR histogram (microseconds); failures are counted by error code.
import { randomBytes, randomInt } from 'node:crypto';
import * as hdr from 'hdr-histogram-js';
import { MrtomError, type Client } from '../../client/index.js';

export interface WorkloadOptions {
  connections: number;
  durationMs: number;
  valueBytes: number;
  /** Percent of operations that are gets; the rest are puts. */
  getPercent: number;
  keys: number;
  consistency: 'linearizable' | 'stale';
  signal: AbortSignal;
}

export interface WorkloadResult {
  elapsedMs: number;
  gets: number;
  puts: number;
  /** Latency of successful operations, in microseconds. */
  latencyUs: hdr.Histogram;
  errorsByCode: Map<string, number>;
}

/** Operations one loop issues at most, whatever the duration: a bound in count as well as in time. */
const OPS_PER_CONNECTION_MAX = 10_000_000;
/** Latencies above this (60 s, past any deadline) are clamped into the top bucket. */
const LATENCY_US_MAX = 60_000_000;

export const benchKey = (i: number): string => `bench/${String(i).padStart(8, '0')}`;

/** Writes every key of the key space once, so gets read values rather than 404s. */
export async function populate(client: Client, options: WorkloadOptions, onWritten: (count: number) => void): Promise<void> {
  const value = randomBytes(options.valueBytes);
  let next = 0;
  let written = 0;
  const loops = Array.from({ length: Math.min(options.connections, options.keys) }, async () => {
    while (next < options.keys && !options.signal.aborted) {
      await client.put(benchKey(next++), value, { signal: options.signal });
      onWritten(++written);
    }
  });
  await Promise.all(loops);
}

export async function runWorkload(client: Client, options: WorkloadOptions, onProgress: (ops: number) => void): Promise<WorkloadResult> {
  const latencyUs = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: LATENCY_US_MAX, numberOfSignificantValueDigits: 3 });
  const errorsByCode = new Map<string, number>();
  const value = randomBytes(options.valueBytes);
  const startMs = performance.now();
  const endMs = startMs + options.durationMs;
  let gets = 0;
  let puts = 0;
  const loop = async (): Promise<void> => {
    for (let i = 0; i < OPS_PER_CONNECTION_MAX && performance.now() < endMs && !options.signal.aborted; i++) {
      const key = benchKey(randomInt(options.keys));
      const isGet = randomInt(100) < options.getPercent;
      const opStartMs = performance.now();
      try {
        if (isGet) await client.get(key, { consistency: options.consistency, signal: options.signal });
        else await client.put(key, value, { signal: options.signal });
        latencyUs.recordValue(Math.min(LATENCY_US_MAX, Math.max(1, Math.round((performance.now() - opStartMs) * 1000))));
        if (isGet) gets += 1;
        else puts += 1;
        onProgress(gets + puts);
      } catch (err) {
        if (options.signal.aborted) return;
        const code = err instanceof MrtomError ? err.code : ((err as Error).name ?? 'error');
        errorsByCode.set(code, (errorsByCode.get(code) ?? 0) + 1);
      }
    }
  };
  await Promise.all(Array.from({ length: options.connections }, loop));
  return { elapsedMs: performance.now() - startMs, gets, puts, latencyUs, errorsByCode };
}
