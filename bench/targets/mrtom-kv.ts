// Target (a): the mrtom-kv dev cluster, compiled (`node dist/cli/main.js dev`): one supervisor
// process starting a sequencer and three replicas as its children; replica i serves HTTP on p+i-1.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pidOf, startChild } from '../child.js';
import { getText } from '../control-http.js';
import { childPidsOf, commandLineOf } from '../proc.js';
import { freePortBase } from '../ports.js';
import { prometheusSum } from '../prometheus.js';
import { kvApi } from './kv-api.js';
import type { RoleProcess, Target } from './target.js';

const replicaCount = 3;
// The dev cluster's port layout from its base port (README "Running a cluster"): replica HTTP on
// p..p+2, sequencer metrics on p+80, sequencer UDP on p+90, replica protocol UDP on p+100..p+102.
const sequencerMetricsOffset = 80;
const devPortLayout = { tcpOffsets: [0, 1, 2, sequencerMetricsOffset], udpOffsets: [90, 100, 101, 102] };
const cliEntry = join('dist', 'cli', 'main.js');

interface NodeStatus {
  id: number;
  view: number;
  appliedSlot: number;
  peers: { id: number }[];
}

// docs/design.md §2: the leader of view v is the replica ids in order, [v mod n].
function leaderOf(status: NodeStatus): number {
  const ids = [status.id, ...status.peers.map((peer) => peer.id)].sort((a, b) => a - b);
  return ids[status.view % ids.length]!;
}

// 'sequencer 1' or 'replica 2' from `... main.js sequencer --config c --id 1 ...`.
function roleFromCommandLine(args: readonly string[]): string | undefined {
  const verb = args.find((arg) => arg === 'sequencer' || arg === 'replica');
  const id = args[args.indexOf('--id') + 1];
  return verb === undefined || !args.includes('--id') || id === undefined ? undefined : `${verb} ${id}`;
}

export const mrtomKv: Target = {
  name: 'mrtom-kv',
  api: kvApi((consistency) => (consistency === 'stale' ? '?consistency=stale' : '')),
  unavailableReason: () => undefined,
  async deploy(dataDir, repoDir) {
    if (!existsSync(join(repoDir, cliEntry))) throw new Error(`no ${cliEntry}: run npm run build (npm run bench does)`);
    const port = await freePortBase(devPortLayout);
    const child = startChild(
      'mrtom-kv dev cluster',
      process.execPath,
      [cliEntry, 'dev', '--data', dataDir, '--port', String(port)],
      repoDir,
    );
    const origins = Array.from({ length: replicaCount }, (_, index) => `http://127.0.0.1:${port + index}`);
    const sequencerMetricsUrl = `http://127.0.0.1:${port + sequencerMetricsOffset}/metrics`;
    const statuses = (): Promise<NodeStatus[]> =>
      Promise.all(origins.map(async (origin) => JSON.parse(await getText(`${origin}/v1/status`)) as NodeStatus));
    return {
      children: [child],
      probes: origins.map((origin) => ({ url: `${origin}/readyz`, isReady: (status) => status === 200 })),
      loadOrigins: origins,
      async roles() {
        const supervisorPid = pidOf(child);
        const leader = `replica ${leaderOf((await statuses())[0]!)}`;
        const roles: RoleProcess[] = [{ role: 'dev supervisor', pid: supervisorPid, isServer: false, isLeader: false }];
        for (const pid of await childPidsOf(supervisorPid)) {
          const role = roleFromCommandLine(await commandLineOf(pid));
          if (role !== undefined) roles.push({ role, pid, isServer: true, isLeader: role === leader });
        }
        // The sequencer first, then the replicas by id, as the data flows.
        return roles.sort(
          (a, b) => Number(b.role.startsWith('sequencer')) - Number(a.role.startsWith('sequencer')) || a.role.localeCompare(b.role),
        );
      },
      async counters() {
        const [nodeStatuses, replicaMetrics, sequencerMetrics] = await Promise.all([
          statuses(),
          Promise.all(origins.map((origin) => getText(`${origin}/metrics`))),
          getText(sequencerMetricsUrl),
        ]);
        const replicaSum = (metric: string): number =>
          replicaMetrics.reduce((sum, text) => sum + (prometheusSum(text, metric) ?? Number.NaN), 0);
        return {
          logEntries: Math.max(...nodeStatuses.map((status) => status.appliedSlot)),
          viewChanges: replicaSum('mrtom_replica_view_changes_total'),
          retransmitRequests: replicaSum('mrtom_replica_retransmit_requests_total'),
          sequencerRetransmits: prometheusSum(sequencerMetrics, 'mrtom_sequencer_retransmits_total') ?? Number.NaN,
          datagramsDropped:
            replicaSum('mrtom_replica_datagrams_dropped_total') +
            (prometheusSum(sequencerMetrics, 'mrtom_sequencer_datagrams_dropped_total') ?? Number.NaN),
        };
      },
    };
  },
};
