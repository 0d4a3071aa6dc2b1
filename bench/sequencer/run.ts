// `npm run bench:sequencer [-- --seconds 5 --pings 1000]`: the userspace and XDP data planes of the sequencer
// side by side, in one run, on the namespaces and bridge of the conformance suite (test/netns/sequencer):
// REQUESTs stamped per second at saturation (a C load generator as replica 1, replicas 2 and 3 acking),
// the round trip with one request outstanding (p50/p99), and CPU per stamped request — the sequencer
// process, the XDP program's own run time (kernel.bpf_stats_enabled), and the whole machine, load
// generators included. Native XDP on veth is measured with a pass program on the peer. Needs root.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { GROUP } from '../../test/unit/sequencer/fixtures.js';
import {
  createClusterHosts,
  METRICS_URL,
  MULTICAST,
  REPLICA_UDP_PORT,
  SEQUENCER,
  writeClusterConfig,
} from '../../test/netns/sequencer/cluster.js';
import { MrtomProcess } from '../../test/netns/sequencer/processes.js';
import { destroyTopology, inNamespace, type Host } from '../../test/netns/sequencer/topology.js';
import { machineCpuMs, processCpuMs, programRuntime, withBpfStats, type ProgramRuntime } from './cpu.js';

const here = (file: string): string => fileURLToPath(new URL(file, import.meta.url));
const { values: flags } = parseArgs({ options: { seconds: { type: 'string', default: '5' }, pings: { type: 'string', default: '1000' } } });
const SECONDS = Number(flags.seconds);
const PINGS = Number(flags.pings);
/** The load generator stops at this many REQUESTs even if the duration has not passed. */
const REQUESTS_MAX = 20_000_000;
const CHILD_GRACE_MS = 30_000;

interface Plane {
  label: string;
  flags: string[];
  native: boolean;
}

const XDP = ['--dataplane', 'xdp', '--interface', 'm5-seq'];
const PLANES: Plane[] = [
  { label: 'userspace', flags: [], native: false },
  { label: 'xdp generic', flags: [...XDP, '--xdp-mode', 'generic'], native: false },
  { label: 'xdp native', flags: [...XDP, '--xdp-mode', 'native'], native: true },
];

function run(command: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    const killer = setTimeout(() => child.kill('SIGKILL'), (SECONDS + PINGS / 100) * 1000 + CHILD_GRACE_MS);
    child.once('exit', (code) => {
      clearTimeout(killer);
      if (code === 0) resolve(out);
      else reject(new Error(`${command} ${args.join(' ')} exited ${code}`));
    });
  });
}

function loadgen(binary: string, host: Host, id: number, sendMax: number): Promise<string> {
  const args = [
    String(id),
    host.ip,
    String(REPLICA_UDP_PORT),
    SEQUENCER.ip,
    String(SEQUENCER.port),
    MULTICAST.address,
    String(MULTICAST.port),
  ];
  return run('ip', inNamespace(host, [binary, ...args, String(GROUP), String(SECONDS), String(sendMax)]));
}

interface Result {
  label: string;
  stampedPerS: number;
  p50Us: number;
  p99Us: number;
  sequencerCpuUsPerRequest: number;
  programNsPerPacket: number | null;
  machineCpuUsPerRequest: number;
}

async function measure(plane: Plane, build: { loadgen: string; pass: string }, dir: string): Promise<Result> {
  const hosts = createClusterHosts();
  try {
    if (plane.native) execFileSync('ip', ['link', 'set', 'dev', `${hosts.sequencer.ns}b`, 'xdpdrv', 'obj', build.pass, 'sec', 'xdp']);
    const config = await writeClusterConfig(dir, hosts, { ringCapacity: 4096 });
    const sequencer = MrtomProcess.sequencer(hosts.sequencer, config, plane.flags, METRICS_URL);
    try {
      await sequencer.ready();
      const [r1, r2, r3] = hosts.replicas;
      const ping = JSON.parse(
        await run(
          'ip',
          inNamespace(r1, [
            process.execPath,
            '--import',
            'tsx',
            here('./ping.ts'),
            r1.ip,
            String(REPLICA_UDP_PORT),
            SEQUENCER.ip,
            String(SEQUENCER.port),
            MULTICAST.address,
            String(MULTICAST.port),
            String(GROUP),
            String(PINGS),
          ]),
        ),
      ) as { p50Us: number; p99Us: number };
      const stamped = async (): Promise<number> => (await sequencer.metric('mrtom_sequencer_stamped_total')).get('') ?? 0;
      const program = (): ProgramRuntime | null => (plane.flags.length === 0 ? null : programRuntime('mrtom_sequencer'));
      const before = {
        stamped: await stamped(),
        process: processCpuMs(sequencer.pid),
        machine: machineCpuMs(),
        program: program(),
        at: Date.now(),
      };
      await Promise.all([loadgen(build.loadgen, r1, 1, REQUESTS_MAX), loadgen(build.loadgen, r2, 2, 0), loadgen(build.loadgen, r3, 3, 0)]);
      const after = {
        stamped: await stamped(),
        process: processCpuMs(sequencer.pid),
        machine: machineCpuMs(),
        program: program(),
        at: Date.now(),
      };
      const requests = Math.max(1, after.stamped - before.stamped);
      return {
        label: plane.label,
        stampedPerS: Math.round((requests * 1000) / (after.at - before.at)),
        p50Us: ping.p50Us,
        p99Us: ping.p99Us,
        sequencerCpuUsPerRequest: ((after.process - before.process) * 1000) / requests,
        programNsPerPacket:
          before.program === null || after.program === null
            ? null
            : (after.program.runTimeNs - before.program.runTimeNs) / Math.max(1, after.program.runCount - before.program.runCount),
        machineCpuUsPerRequest: ((after.machine - before.machine) * 1000) / requests,
      };
    } finally {
      await sequencer.stop();
    }
  } finally {
    destroyTopology();
  }
}

const dir = await mkdtemp(join(tmpdir(), 'mrtom-m5-bench-'));
try {
  execFileSync('sh', [here('../../src/sequencer/xdp/build.sh')], { stdio: 'inherit' });
  const build = { loadgen: join(dir, 'loadgen'), pass: join(dir, 'pass.bpf.o') };
  const machine = execFileSync('uname', ['-m'], { encoding: 'utf8' }).trim();
  execFileSync('clang', ['-O2', '-Wall', '-o', build.loadgen, here('./loadgen.c')]);
  execFileSync('clang', ['-O2', '-target', 'bpf', `-I/usr/include/${machine}-linux-gnu`, '-c', here('./pass.bpf.c'), '-o', build.pass]);
  const results = await withBpfStats(async () => {
    const out: Result[] = [];
    for (const plane of PLANES) out.push(await measure(plane, build, dir));
    return out;
  });
  const base = results[0]!;
  const fmt = (n: number | null, digits = 1): string => (n === null ? '-' : n.toFixed(digits));
  console.log(`\n${SECONDS} s of load per plane, ${PINGS} pings; CPU per stamped request (µs), XDP program time per packet (ns)\n`);
  console.log('| plane | stamped/s | × userspace | RTT p50 µs | RTT p99 µs | sequencer CPU µs/req | program ns/pkt | machine CPU µs/req |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const r of results) {
    console.log(
      `| ${r.label} | ${r.stampedPerS} | ${fmt(r.stampedPerS / base.stampedPerS)} | ${r.p50Us} | ${r.p99Us} | ${fmt(r.sequencerCpuUsPerRequest, 2)} | ${fmt(r.programNsPerPacket, 0)} | ${fmt(r.machineCpuUsPerRequest, 2)} |`,
    );
  }
} finally {
  destroyTopology();
  await rm(dir, { recursive: true, force: true });
}
