// Drives one write workload against one deployed target at one concurrency: a warm-up whose
// numbers are thrown away, then a measured run. Throughput is the median of the full one-second
// samples; latencies are every successful response's time, kept raw for exact percentiles.
import { randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { median, percentile } from './stats.js';
import type { Deployment } from './targets/target.js';

// 32 MiB of Float64 samples: about 10 minutes at 6,000 writes/s. Beyond that samples are
// dropped and counted rather than growing the runner's memory.
const latencySamplesMax = 4 * 1024 * 1024;
const sampleIntervalMs = 1_000;

export interface LoadSpec {
  origins: readonly string[];
  connections: number;
  durationS: number;
  warmupS: number;
  valueBytes: number;
  // Makes every key in a benchmark run distinct, so each write inserts rather than overwrites.
  keyPrefix: string;
  writeRequest: Deployment['writeRequest'];
}

export interface LoadResult {
  connections: number;
  originsUsed: number;
  durationS: number;
  ok: number;
  non2xx: number;
  // Socket errors and timeouts, which autocannon counts apart from HTTP statuses.
  errors: number;
  reqPerSecMedian: number;
  reqPerSecSamples: number[];
  latencyMsP50: number;
  latencyMsP99: number;
  latencySamplesDropped: number;
  // CPU this runner process spent during the measured run, as a percentage of one core.
  loadgenCpuPctOfCore: number;
  // All cores' busy time during the measured run, as a percentage of the whole machine.
  machineCpuBusyPct: number;
}

interface MachineTimes {
  busyMs: number;
  totalMs: number;
}

function machineTimes(): MachineTimes {
  let busyMs = 0;
  let totalMs = 0;
  for (const { times } of cpus()) {
    const cpuTotalMs = times.user + times.nice + times.sys + times.idle + times.irq;
    totalMs += cpuTotalMs;
    busyMs += cpuTotalMs - times.idle;
  }
  return { busyMs, totalMs };
}

function startWorkload(spec: LoadSpec, durationS: number, phase: string, value: Buffer): ReturnType<typeof autocannon> {
  let keyCount = 0;
  return autocannon({
    url: spec.origins.map((origin) => `${origin}/`),
    connections: spec.connections,
    duration: durationS,
    requests: [
      {
        setupRequest: (request) => {
          keyCount += 1;
          return { ...request, ...spec.writeRequest(`${spec.keyPrefix}/${phase}/${keyCount}`, value) };
        },
      },
    ],
  });
}

export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const value = randomBytes(spec.valueBytes);
  if (spec.warmupS > 0) await startWorkload(spec, spec.warmupS, 'warmup', value);

  const okPerSecond = new Array<number>(spec.durationS).fill(0);
  const latenciesMs = new Float64Array(latencySamplesMax);
  let latencyCount = 0;
  let latencySamplesDropped = 0;
  const cpuBefore = process.cpuUsage();
  const machineBefore = machineTimes();
  const startedMs = performance.now();
  const instance = startWorkload(spec, spec.durationS, 'measured', value);
  instance.on('response', (_client, statusCode, _bytes, responseTimeMs) => {
    if (statusCode < 200 || statusCode > 299) return;
    const second = Math.floor((performance.now() - startedMs) / sampleIntervalMs);
    // The last, partial second is left out so it cannot drag the median down.
    if (second < okPerSecond.length) okPerSecond[second] = (okPerSecond[second] ?? 0) + 1;
    if (latencyCount < latencySamplesMax) latenciesMs[latencyCount++] = responseTimeMs;
    else latencySamplesDropped += 1;
  });
  const result = await instance;
  const elapsedMs = performance.now() - startedMs;
  const cpu = process.cpuUsage(cpuBefore);
  const machineAfter = machineTimes();

  const sorted = latenciesMs.subarray(0, latencyCount).sort();
  return {
    connections: spec.connections,
    originsUsed: Math.min(spec.connections, spec.origins.length),
    durationS: spec.durationS,
    ok: count2xx(result.statusCodeStats),
    non2xx: result.non2xx,
    errors: result.errors,
    reqPerSecMedian: median(okPerSecond),
    reqPerSecSamples: okPerSecond,
    latencyMsP50: percentile(sorted, 50),
    latencyMsP99: percentile(sorted, 99),
    latencySamplesDropped,
    loadgenCpuPctOfCore: ((cpu.user + cpu.system) / 1000 / elapsedMs) * 100,
    machineCpuBusyPct: ((machineAfter.busyMs - machineBefore.busyMs) / (machineAfter.totalMs - machineBefore.totalMs)) * 100,
  };
}

function count2xx(stats: Record<string, { count: number }>): number {
  let count = 0;
  for (const [status, { count: statusCount }] of Object.entries(stats)) {
    if (status.startsWith('2')) count += statusCount;
  }
  return count;
}
