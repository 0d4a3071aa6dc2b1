// A load generator process (autocannon), started by the runner once per generator and measured
// run: being its own process, its CPU is read from /proc like the servers', and a run can use two
// of them to show one is not the limit. Speaks the protocol in loadgen-protocol.ts over IPC.
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import type { FromGenerator, GeneratorResult, GeneratorSpec, ToGenerator } from './loadgen-protocol.js';
import { targetNamed } from './targets/registry.js';
import { workloads } from './workloads.js';

// 32 MiB of Float64 samples: 8 minutes at 8,000 responses/s. Beyond that samples are dropped and
// counted rather than growing the generator's memory.
const latencySamplesMax = 4 * 1024 * 1024;
const sampleIntervalMs = 1_000;

// Resolves once the message is handed to the channel, so disconnecting after it cannot drop it.
function reply(message: FromGenerator): Promise<void> {
  const send = process.send?.bind(process);
  if (send === undefined) throw new Error('bench/loadgen is started by the runner, over IPC');
  return new Promise((resolve, reject) => send(message, undefined, {}, (error) => (error === null ? resolve() : reject(error))));
}

function nextMessage(): Promise<ToGenerator> {
  return new Promise((resolve) => process.once('message', (message) => resolve(message as ToGenerator)));
}

function startPhase(spec: GeneratorSpec, phase: string, durationS: number): ReturnType<typeof autocannon> {
  const nextRequest = workloads[spec.workload].requestSource({
    api: targetNamed(spec.target).api,
    value: randomBytes(spec.valueBytes),
    keyPrefix: `${spec.keyPrefix}/${phase}`,
  });
  let requestCount = 0;
  return autocannon({
    url: spec.origins.map((origin) => `${origin}/`),
    connections: spec.connections,
    duration: durationS,
    requests: [{ setupRequest: (request) => ({ ...request, ...nextRequest(requestCount++) }) }],
  });
}

function count2xx(stats: Record<string, { count: number }>): number {
  let count = 0;
  for (const [status, { count: statusCount }] of Object.entries(stats)) if (status.startsWith('2')) count += statusCount;
  return count;
}

async function measure(spec: GeneratorSpec): Promise<GeneratorResult> {
  const okPerSecond = new Array<number>(spec.durationS).fill(0);
  const latenciesMs = new Float64Array(latencySamplesMax);
  let latencyCount = 0;
  let latencySamplesDropped = 0;
  const startedMs = performance.now();
  const instance = startPhase(spec, 'measured', spec.durationS);
  instance.on('response', (_client, statusCode, _bytes, responseTimeMs) => {
    if (statusCode < 200 || statusCode > 299) return;
    const second = Math.floor((performance.now() - startedMs) / sampleIntervalMs);
    // The last, partial second is left out so it cannot drag the median down.
    if (second < okPerSecond.length) okPerSecond[second] = (okPerSecond[second] ?? 0) + 1;
    if (latencyCount < latencySamplesMax) latenciesMs[latencyCount++] = responseTimeMs;
    else latencySamplesDropped += 1;
  });
  const result = await instance;
  return {
    okPerSecond,
    latenciesMs: latenciesMs.slice(0, latencyCount),
    latencySamplesDropped,
    ok: count2xx(result.statusCodeStats),
    non2xx: result.non2xx,
    errors: result.errors,
  };
}

// The runner closes the channel when it is done with this generator (or dies): exit then, not
// before, so the runner's CPU snapshot after the measured phase still finds this process.
process.once('disconnect', () => process.exit(0));

try {
  // Messages that arrive before a listener exists are lost, so the runner waits for this first.
  const first = nextMessage();
  await reply({ kind: 'ready' });
  const spec = await first.then((message) => {
    if (message.kind !== 'spec') throw new Error(`expected a spec, got ${message.kind}`);
    return message.spec;
  });
  if (spec.warmupS > 0) await startPhase(spec, 'warmup', spec.warmupS);
  const next = nextMessage();
  await reply({ kind: 'warm' });
  const go = await next;
  if (go.kind !== 'measure') throw new Error(`expected measure, got ${go.kind}`);
  await reply({ kind: 'result', result: await measure(spec) });
} catch (error) {
  await reply({ kind: 'failed', message: (error as Error).stack ?? String(error) });
}
