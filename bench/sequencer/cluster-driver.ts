// `npm run bench:planes` inside the client namespace (cluster.ts starts it here): the end-to-end write
// throughput of a 3-replica cluster with each sequencer data plane, in one run. Each round starts a fresh
// namespace cluster per plane (the order rotates every round, so a drift of the shared machine's load
// does not favour one plane), warms it up, then runs closed-loop PUTs through all three replicas at each
// connection count. Reported per plane and connection count: medians over rounds (with the range) of
// writes/s and p50/p99 latency, CPU per committed write of the sequencer process, of the replica
// processes and of the whole machine (which includes the XDP program's run time, charged to softirqs,
// and the load generator), and the load generator's own CPU.
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import autocannon from 'autocannon';
import { Cluster } from '../../test/netns/cluster.js';
import type { DataPlaneName } from '../../test/netns/options.js';
import { pidsIn, planTopology, type Member } from '../../test/netns/topology.js';
import { Prng } from '../../test/sim/prng.js';
import { percentile, spreadOf, type Spread } from '../stats.js';
import { machineCpuMs, processCpuMs } from './cpu.js';
import { CLUSTER_SHAPE, parsePlanesFlags } from './cluster-flags.js';

interface Plane {
  label: string;
  dataplane: DataPlaneName;
  multicast: boolean;
}

const PLANES: readonly Plane[] = [
  { label: 'userspace, unicast', dataplane: 'userspace', multicast: false },
  { label: 'userspace, multicast', dataplane: 'userspace', multicast: true },
  { label: 'xdp generic', dataplane: 'xdp', multicast: true },
];

interface Sample {
  writesPerS: number;
  p50Ms: number;
  p99Ms: number;
  sequencerUsPerWrite: number;
  replicasUsPerWrite: number;
  machineUsPerWrite: number;
  loadgenCorePercent: number;
  failed: number;
}

const flags = parsePlanesFlags(process.argv.slice(2));
const topology = planTopology(CLUSTER_SHAPE);
const value = randomBytes(flags.valueBytes);

function cpuOf(members: readonly Member[]): number {
  let ms = 0;
  for (const member of members) {
    for (const pid of pidsIn(member.ns)) {
      try {
        ms += processCpuMs(pid);
      } catch {
        // A process that ended between the listing and the read: its CPU is gone with it.
      }
    }
  }
  return ms;
}

interface LoadResult {
  ok: number;
  failed: number;
  /** Latencies of the 2xx answers, in ms. */
  latenciesMs: number[];
}

async function load(cluster: Cluster, connections: number, seconds: number, keyPrefix: string): Promise<LoadResult> {
  let n = 0;
  const latenciesMs: number[] = [];
  let failed = 0;
  const instance = autocannon({
    url: cluster.urls.map((url) => `${url}/`),
    connections,
    duration: seconds,
    requests: [
      {
        setupRequest: (request) => ({
          ...request,
          method: 'PUT',
          path: `/v1/kv/${keyPrefix}/${n++ % 1024}`,
          headers: { 'content-type': 'application/octet-stream' },
          body: value,
        }),
      },
    ],
  });
  instance.on('response', (_client, statusCode, _bytes, responseTimeMs) => {
    if (statusCode >= 200 && statusCode < 300) latenciesMs.push(responseTimeMs);
    else failed += 1;
  });
  const result = await instance;
  return { ok: latenciesMs.length, failed: failed + result.errors + result.timeouts, latenciesMs };
}

async function measure(cluster: Cluster, connections: number, keyPrefix: string): Promise<Sample> {
  await load(cluster, connections, flags.warmupSeconds, `${keyPrefix}/warmup`);
  const sequencerBefore = cpuOf(cluster.sequencers);
  const replicasBefore = cpuOf(cluster.replicas);
  const machineBefore = machineCpuMs();
  const loadgenBefore = process.cpuUsage();
  const startedMs = performance.now();
  const result = await load(cluster, connections, flags.seconds, keyPrefix);
  const elapsedMs = performance.now() - startedMs;
  const loadgen = process.cpuUsage(loadgenBefore);
  const writes = result.ok;
  const sorted = Float64Array.from(result.latenciesMs).sort();
  const perWrite = (ms: number): number => (writes > 0 ? (ms * 1000) / writes : Number.NaN);
  return {
    writesPerS: writes / (elapsedMs / 1000),
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    sequencerUsPerWrite: perWrite(cpuOf(cluster.sequencers) - sequencerBefore),
    replicasUsPerWrite: perWrite(cpuOf(cluster.replicas) - replicasBefore),
    machineUsPerWrite: perWrite(machineCpuMs() - machineBefore),
    loadgenCorePercent: ((loadgen.user + loadgen.system) / 1000 / elapsedMs) * 100,
    failed: result.failed,
  };
}

const samples = new Map<string, Sample[]>();
let clean = true;
for (let round = 0; round < flags.rounds; round++) {
  const order = PLANES.map((_, i) => PLANES[(i + round) % PLANES.length]!);
  for (const plane of order) {
    const cluster = await Cluster.start(topology, new Prng(round + 1).fork('network'), plane.dataplane, plane.multicast);
    try {
      for (const connections of flags.connections) {
        const sample = await measure(cluster, connections, `bench/r${round}/c${connections}`);
        const key = `${plane.label}|${connections}`;
        samples.set(key, [...(samples.get(key) ?? []), sample]);
        console.log(
          `[round ${round + 1}] ${plane.label}, ${connections} conns: ${Math.round(sample.writesPerS)} writes/s, p50 ${sample.p50Ms.toFixed(1)} ms, ${Math.round(sample.machineUsPerWrite)} µs machine CPU/write${sample.failed > 0 ? `, ${sample.failed} failed` : ''}`,
        );
      }
    } finally {
      const problems = await cluster.stop();
      for (const problem of problems) console.log(`  problem: ${problem}`);
      if (problems.length > 0) clean = false;
      await rm(cluster.runDir, { recursive: true, force: true });
    }
  }
}

const cell = (s: Spread, digits = 0): string => `${s.median.toFixed(digits)} (${s.min.toFixed(digits)}–${s.max.toFixed(digits)})`;
const of = (list: Sample[], pick: (s: Sample) => number): Spread => spreadOf(list.map(pick));
console.log(
  `\n${flags.rounds} rounds × ${flags.seconds} s per plane and connection count, ${flags.valueBytes}-byte values, fsync; medians (range)\n`,
);
console.log(
  '| plane | conns | writes/s | × userspace unicast | p50 ms | p99 ms | sequencer µs/write | replicas µs/write | machine µs/write | loadgen % of a core | failed |',
);
console.log('|---|---|---|---|---|---|---|---|---|---|---|');
for (const connections of flags.connections) {
  const reference = of(samples.get(`${PLANES[0]!.label}|${connections}`) ?? [], (s) => s.writesPerS).median;
  for (const plane of PLANES) {
    const list = samples.get(`${plane.label}|${connections}`) ?? [];
    const writes = of(list, (s) => s.writesPerS);
    console.log(
      `| ${plane.label} | ${connections} | ${cell(writes)} | ${(writes.median / reference).toFixed(2)} | ${cell(
        of(list, (s) => s.p50Ms),
        1,
      )} | ${cell(
        of(list, (s) => s.p99Ms),
        1,
      )} | ${cell(of(list, (s) => s.sequencerUsPerWrite))} | ${cell(of(list, (s) => s.replicasUsPerWrite))} | ${cell(of(list, (s) => s.machineUsPerWrite))} | ${cell(of(list, (s) => s.loadgenCorePercent))} | ${list.reduce((n, s) => n + s.failed, 0)} |`,
    );
  }
}
if (!clean) process.exitCode = 1;
