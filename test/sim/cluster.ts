// One simulated world built from a SimConfig: scheduler, network, replica nodes with their disks,
// sequencers, clients, the history and the invariant checker, with the fault plan scheduled on the clock.
// All randomness comes from streams forked off the seed's PRNG, one per concern.
import { MessageType, readHeader } from '../../src/mrtom/header.js';
import { decodeDatagram, encodeDatagram } from '../../src/mrtom/messages.js';
import { encodeOpRequest } from '../../src/store/ops.js';
import { SimClient } from './client.js';
import type { SimConfig } from './config.js';
import { SimDisk } from './disk.js';
import { describeAction, type FaultAction } from './faults.js';
import { History } from './history.js';
import { ApplyInvariants } from './invariants.js';
import { Network, type NodeName } from './network.js';
import type { Prng } from './prng.js';
import { Scheduler } from './scheduler.js';
import { SimReplica, type SnapshotOutcome } from './sim-replica.js';
import { SimSequencer } from './sim-sequencer.js';
import type { Tracer } from './trace.js';

/**
 * A deliberate break made by the simulator itself rather than by the protocol: the first ORDERED carrying a
 * request that reaches the highest-numbered replica has its body swapped for another operation, as a
 * corrupting network would. The invariant checker must catch the divergence it causes.
 */
export type SimTamper = 'tamper-ordered';

/** Client ids start here so they never look like replica or sequencer ids in a trace. */
const CLIENT_ID_FIRST = 1001;
/** A snapshot request to an unreachable peer fails after this long (a connect timeout). */
const SNAPSHOT_CONNECT_TIMEOUT_MS = 50;
/** Streaming the small simulated state takes this long, on top of the round trip. */
const SNAPSHOT_TRANSFER_MS_MIN = 1;
const SNAPSHOT_TRANSFER_MS_MAX = 20;

export class Cluster {
  readonly scheduler = new Scheduler();
  readonly network: Network;
  readonly invariants = new ApplyInvariants();
  readonly history = new History();
  readonly replicas: SimReplica[];
  readonly sequencers: SimSequencer[];
  readonly clients: SimClient[];
  private readonly nodes = new Map<NodeName, SimReplica | SimSequencer>();
  private readonly snapshotPrng: Prng;
  private tampered = false;

  constructor(
    readonly config: SimConfig,
    prng: Prng,
    private readonly tracer: Tracer,
    private readonly tamper: SimTamper | null,
  ) {
    this.network = new Network(
      this.scheduler,
      prng.fork('network'),
      tracer,
      (to, from, bytes) => this.deliver(to, from, bytes),
      config.calm,
    );
    const nodePrng = prng.fork('nodes');
    this.snapshotPrng = prng.fork('snapshots');
    const diskPrng = prng.fork('disks');
    this.replicas = config.replicaIds.map(
      (id) =>
        new SimReplica(
          {
            id,
            group: config.group,
            replicaIds: config.replicaIds,
            sequencerIds: config.sequencerIds,
            durability: config.durability,
            timing: config.replicaTiming,
            logRetainEntries: config.logRetainEntries,
            pendingEntriesMax: config.pendingEntriesMax,
            unsafeBreak: config.unsafeBreak,
          },
          {
            scheduler: this.scheduler,
            network: this.network,
            tracer,
            invariants: this.invariants,
            disk: new SimDisk(config.durability, this.scheduler, diskPrng.fork(`r${id}`), config.disk),
            prng: nodePrng.fork(`r${id}`),
            tickIntervalMs: config.tickIntervalMs,
            onApplied: (replica, applied) => {
              for (const client of this.clients) if (client.host.id === replica) client.onApplied(applied);
            },
            fetchSnapshot: (to, from, done) => this.transferSnapshot(to, from, done),
          },
        ),
    );
    this.sequencers = config.sequencerIds.map(
      (id) =>
        new SimSequencer(id, {
          scheduler: this.scheduler,
          network: this.network,
          tracer,
          prng: nodePrng.fork(`s${id}`),
          group: config.group,
          replicaIds: config.replicaIds,
          timing: config.sequencerTiming,
          tickIntervalMs: config.tickIntervalMs,
        }),
    );
    for (const node of [...this.replicas, ...this.sequencers]) this.nodes.set(node.name, node);
    const workload = prng.fork('workload');
    let clientIdNext = CLIENT_ID_FIRST;
    this.clients = Array.from(
      { length: config.clientCount },
      (_, index) =>
        new SimClient(index, this.replicas[index % this.replicas.length]!, {
          scheduler: this.scheduler,
          network: this.network,
          tracer,
          history: this.history,
          prng: workload.fork(`c${index}`),
          group: config.group,
          keys: config.keys,
          timing: config.clientTiming,
          opsMax: config.opsPerClientMax,
          invokeEndMs: config.invokeEndMs,
          newClientId: () => clientIdNext++,
        }),
    );
  }

  start(): void {
    for (const sequencer of this.sequencers) sequencer.start();
    for (const replica of this.replicas) replica.start();
    for (const client of this.clients) client.start();
    for (const action of this.config.faults.actions) this.scheduler.after(action.atMs, () => this.perform(action));
  }

  /** Every client is done invoking and has nothing outstanding. */
  clientsFinished(): boolean {
    return this.clients.every((client) => client.isFinished(this.scheduler.nowMs));
  }

  /** Every replica is up and has applied every slot any replica applied. */
  replicasCaughtUp(): boolean {
    const slots = this.invariants.slotsApplied();
    return this.replicas.every((replica) => replica.isUp && this.invariants.lastApplied(replica.id) === slots);
  }

  /**
   * A snapshot stream between replicas (HTTP over TCP in production): it fails at once if the peer is down
   * or cut off, and fails part-way if the peer crashes or a partition cuts the link before it completes.
   * The state sent is the peer's applied state when the stream starts (one LevelDB iterator).
   */
  private transferSnapshot(to: number, from: number, done: (outcome: SnapshotOutcome) => void): void {
    const source = this.replicas.find((replica) => replica.id === from);
    if (source === undefined) throw new Error(`r${to} asked for a snapshot from unknown replica ${from}`);
    const target: NodeName = `r${to}`;
    const reachable = (): boolean => source.isUp && !this.network.isCut(target, source.name) && !this.network.isCut(source.name, target);
    const { latencyMsMax } = this.config.calm;
    if (!reachable()) {
      this.scheduler.after(SNAPSHOT_CONNECT_TIMEOUT_MS, () => done({ kind: 'failed' }));
      return;
    }
    const state = source.appliedState;
    const incarnation = source.incarnationNumber;
    this.scheduler.after(2 * latencyMsMax + this.snapshotPrng.between(SNAPSHOT_TRANSFER_MS_MIN, SNAPSHOT_TRANSFER_MS_MAX), () => {
      done(reachable() && source.incarnationNumber === incarnation ? { kind: 'installed', state } : { kind: 'failed' });
    });
  }

  private perform(action: FaultAction): void {
    this.tracer.event(this.scheduler.nowMs, 'sim', () => describeAction(action));
    switch (action.kind) {
      case 'network':
        this.network.setConditions(action.conditions);
        break;
      case 'partition':
        for (const [from, to] of action.links) this.network.block(from, to);
        break;
      case 'heal':
        for (const [from, to] of action.links) this.network.unblock(from, to);
        break;
      case 'blackhole': {
        const targets = new Set(action.targets);
        // Per session: the seqs to swallow, fixed relative to the first seq seen there while active.
        const doomed = new Map<number, Set<number>>();
        this.network.setDropFilter((from, to, bytes) => {
          if (!from.startsWith('s') || !targets.has(to)) return false;
          const header = readHeader(bytes);
          if (header.type !== MessageType.ORDERED) return false;
          let seqs = doomed.get(header.session);
          if (seqs === undefined) doomed.set(header.session, (seqs = new Set(action.offsets.map((offset) => header.seq + offset))));
          return seqs.has(header.seq);
        });
        break;
      }
      case 'blackhole-end':
        this.network.setDropFilter(null);
        break;
      case 'crash':
        if (this.crashWouldLoseData(action.node)) {
          this.tracer.event(
            this.scheduler.nowMs,
            'sim',
            () => `crash of ${action.node} skipped: another replica is still recovering its lost data`,
          );
          break;
        }
        this.node(action.node).crash();
        for (const client of this.clients) if (client.host.name === action.node) client.onHostCrash();
        break;
      case 'restart':
        if (this.node(action.node).isUp) break; // Its crash was skipped.
        this.node(action.node).start();
        for (const client of this.clients) if (client.host.name === action.node) client.onHostRestart();
        break;
    }
  }

  /**
   * Without durable logs (async, memory), a crash loses data; with another replica still recovering its
   * own, that would leave fewer than f+1 replicas holding the data, which the protocol (like VR) does not
   * promise to survive. The time spacing in faults.ts usually prevents it; a partition can stretch a
   * recovery past that spacing, so the crash is skipped then.
   */
  private crashWouldLoseData(name: NodeName): boolean {
    const target = this.replicas.find((replica) => replica.name === name);
    if (!target || this.config.durability === 'fsync') return false;
    return this.replicas.some((replica) => replica !== target && replica.isRecovering);
  }

  private node(name: NodeName): SimReplica | SimSequencer {
    const node = this.nodes.get(name);
    if (node === undefined) throw new Error(`no node ${name}`);
    return node;
  }

  private deliver(to: NodeName, from: NodeName, bytes: Uint8Array): void {
    const node = this.node(to);
    node.deliver(from, this.tamper === 'tamper-ordered' ? this.maybeTamper(to, bytes) : bytes);
  }

  private maybeTamper(to: NodeName, bytes: Uint8Array): Uint8Array {
    const target = this.replicas.at(-1)!;
    if (this.tampered || to !== target.name || !target.isUp) return bytes;
    const { header } = decodeDatagram(bytes);
    if (header.type !== MessageType.ORDERED) return bytes;
    this.tampered = true;
    const body = encodeOpRequest({ floor: 0, op: { type: 'put', key: this.config.keys[0]!, value: new TextEncoder().encode('tampered') } });
    this.tracer.event(this.scheduler.nowMs, 'sim', () => `TAMPER ORDERED s${header.session}/q${header.seq} to ${to}`);
    return encodeDatagram(header, body);
  }
}
