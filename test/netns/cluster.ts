// A running harness cluster: its config file, its member processes and its network faults, over the
// topology already built. Started fresh for each long round; npm test's short scenarios run one after
// another on one cluster (each on keys of its own), which saves a cluster start per scenario.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitUntilLive, waitUntilReady } from '../../src/runtime/readiness.js';
import type { Prng } from '../sim/prng.js';
import { clusterConfigFor, replicaUrl, sequencerFlagsFor, sequencerMetricsUrl, SEQUENCER_METRICS_PORT } from './cluster-config.js';
import type { DataPlaneName } from './options.js';
import { repairCounters, type RepairCounters } from './metrics.js';
import { currentRoles, type Roles } from './cluster-view.js';
import { NetworkFaults } from './network-faults.js';
import { MemberProcesses } from './processes.js';
import { pidsIn, RUN_DIR_PREFIX, type Member, type Topology } from './topology.js';

const READY_DEADLINE_MS = 30_000;

export class Cluster {
  readonly replicas: readonly Member[];
  readonly sequencers: readonly Member[];
  readonly urls: readonly string[];
  /** How many process exits have been judged already (crashesSince). */
  private exitsJudged = 0;

  private constructor(
    readonly topology: Topology,
    readonly runDir: string,
    readonly processes: MemberProcesses,
    readonly network: NetworkFaults,
  ) {
    this.replicas = topology.members.filter((m) => m.kind === 'replica');
    this.sequencers = topology.members.filter((m) => m.kind === 'sequencer');
    this.urls = this.replicas.map((m) => replicaUrl(m.address));
  }

  /** Writes the config, clears rules an earlier run left, starts every member and waits until all replicas are ready. */
  static async start(topology: Topology, prng: Prng, dataplane: DataPlaneName, multicast = dataplane === 'xdp'): Promise<Cluster> {
    const runDir = await mkdtemp(join(tmpdir(), RUN_DIR_PREFIX));
    const configPath = join(runDir, 'cluster.json');
    await writeFile(configPath, JSON.stringify(clusterConfigFor(topology, 'fsync', dataplane, multicast), null, 2));
    const cluster = new Cluster(
      topology,
      runDir,
      new MemberProcesses(topology.members, runDir, configPath, 'info', sequencerFlagsFor(dataplane)),
      new NetworkFaults(topology.members, [topology.client.address], prng),
    );
    await cluster.network.apply();
    for (const member of [...cluster.sequencers, ...cluster.replicas]) cluster.processes.start(member.name);
    if (!(await waitUntilReady(cluster.urls, READY_DEADLINE_MS))) {
      await cluster.stop();
      throw new Error(`the cluster was not ready within ${READY_DEADLINE_MS} ms; logs in ${runDir}`);
    }
    return cluster;
  }

  roles(): Promise<Roles | null> {
    return currentRoles(
      this.urls,
      this.replicas.map((m) => m.id),
      this.sequencers.map((m) => m.id),
    );
  }

  /** The replica id and process incarnation behind a replica URL. */
  nodeOf(url: string): { node: number; incarnation: number } {
    const member = this.replicas[this.urls.indexOf(url)];
    return member === undefined
      ? { node: -1, incarnation: -1 }
      : { node: member.id, incarnation: this.processes.incarnationOf(member.name) };
  }

  /** The repair counters summed over every process (metrics.ts). */
  repairs(): Promise<RepairCounters> {
    return repairCounters(
      this.urls.map((url) => `${url}/metrics`),
      this.sequencers.map((m) => sequencerMetricsUrl(m.address)),
    );
  }

  /** Whether every member process answers /livez (replicas on their API, sequencers on their metrics port) by the deadline. */
  async allLive(deadlineMs: number): Promise<boolean> {
    const bases = [...this.urls, ...this.sequencers.map((m) => `http://${m.address}:${SEQUENCER_METRICS_PORT}`)];
    return (await Promise.all(bases.map((base) => waitUntilLive(base, deadlineMs)))).every(Boolean);
  }

  /** Processes that died on their own (or logged fatal) since the last call. */
  async crashesSince(): Promise<string[]> {
    const problems = await this.processes.crashes(this.exitsJudged);
    this.exitsJudged = this.processes.exits.length;
    return problems;
  }

  /** Clears every fault and stops every process; returns what went wrong on the way (unclean stops included). */
  async stop(): Promise<string[]> {
    const problems: string[] = [];
    this.network.clear();
    await this.network.apply().catch((err: Error) => problems.push(`could not clear the faults: ${err.message}`));
    await this.network.close();
    await this.processes.stopAll();
    // Nothing may outlive its cluster in a member's namespace: the next cluster would share it.
    for (const member of this.topology.members) {
      const strays = pidsIn(member.ns);
      for (const pid of strays) process.kill(pid, 'SIGKILL');
      if (strays.length > 0) problems.push(`harness: ${strays.length} process(es) left in ${member.ns} after the stop (killed)`);
    }
    return [...problems, ...this.network.problems, ...(await this.crashesSince())];
  }
}
