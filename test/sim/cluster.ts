// One simulated world built from a SimConfig: scheduler, network, replica nodes with their disks,
// sequencers, workload clients, the history and the checkers, with the fault plan scheduled on the clock.
// All randomness comes from streams forked off the seed's PRNG, one per concern.
import { MessageType, readHeader } from '../../src/mrtom/header.js';
import { decodeDatagram, encodeDatagram } from '../../src/mrtom/messages.js';
import type { SnapshotSource } from '../../src/runtime/ports.js';
import type { AppliedEntry } from '../../src/store/applied.js';
import { encodeOpRequest } from '../../src/store/ops.js';
import type { SimConfig } from './config.js';
import { describeAction, type FaultAction } from './faults.js';
import { History } from './history.js';
import { ApplyInvariants, InvariantViolation } from './invariants.js';
import { nodeFaults, type Mutation } from './mutations.js';
import { Network, type NodeName } from './network.js';
import { PromiseInvariants } from './promises.js';
import { RevisionLog } from './revision-log.js';
import type { Prng } from './prng.js';
import { Scheduler } from './scheduler.js';
import type { ProcessClock } from './sim-clock.js';
import { SimDisk } from './sim-disk.js';
import { SimReplicaNode } from './sim-replica-node.js';
import { SimSequencer } from './sim-sequencer.js';
import { SimWatch } from './sim-watch.js';
import { StaleReadLog } from './stale-reads.js';
import { describeDatagram, type Tracer } from './trace.js';
import { SimClient } from './workload.js';

/** A snapshot request to an unreachable peer fails after this long (a connect timeout). */
const SNAPSHOT_CONNECT_TIMEOUT_MS = 50;
/** Simulated time a caught-up replica's watch may take to deliver its last revision at the end. */
const HISTORY_READ_WAIT_MS = 1_000;
/** Streaming the small simulated state takes this long, on top of the round trip. */
const SNAPSHOT_TRANSFER_MS_MIN = 1;
const SNAPSHOT_TRANSFER_MS_MAX = 20;

export type FailureKind = 'invariant' | 'exception' | 'liveness' | 'linearizability' | 'stale-read';

export interface SimFailure {
  kind: FailureKind;
  message: string;
  atMs: number;
}

/** A lease revoke as first applied anywhere: its keys come from the revision log once the run is over. */
interface RevokeApplied {
  revision: number;
  lease: number;
  atMs: number;
  order: number;
}

/** What the replicas' submitters send at most; the sequencer takes up to production's 65,000 bytes. */
export const SIM_SUBMITTER_DATAGRAM_BYTES_MAX = 1400;

export class Cluster {
  readonly scheduler = new Scheduler();
  readonly network: Network;
  readonly invariants = new ApplyInvariants();
  readonly history = new History();
  readonly staleReads = new StaleReadLog();
  /** What the watches delivered: the oracle for reads and revokes. */
  readonly revisionLog = new RevisionLog();
  readonly replicas: SimReplicaNode[];
  /** One watch client per replica, by replica id. */
  private readonly watches = new Map<number, SimWatch>();
  readonly sequencers: SimSequencer[];
  readonly clients: SimClient[];
  /** The first failure found while running (an invariant, an exception in a process); the run stops there. */
  failure: SimFailure | null = null;
  private readonly promises: PromiseInvariants;
  private readonly nodes = new Map<NodeName, SimReplicaNode | SimSequencer>();
  private readonly snapshotPrng: Prng;
  /** By the revision each revoke created. */
  private readonly revokes = new Map<number, RevokeApplied>();
  private tampered = false;

  constructor(
    readonly config: SimConfig,
    prng: Prng,
    private readonly tracer: Tracer,
    private readonly mutation: Mutation | null,
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
    const disks = new Map(
      config.replicaIds.map(
        (id) => [id, new SimDisk(this.scheduler, diskPrng.fork(`r${id}`), config.disk, config.durability === 'fsync')] as const,
      ),
    );
    this.promises = new PromiseInvariants(disks, config.durability);
    const send = (from: NodeName, to: NodeName, bytes: Uint8Array): void => this.send(from, to, bytes);
    this.replicas = config.replicaIds.map(
      (id) =>
        new SimReplicaNode(
          id,
          {
            id,
            group: config.group,
            replicaIds: config.replicaIds,
            sequencerIds: config.sequencerIds,
            durability: config.durability,
            // An Ethernet-sized datagram, as the XDP data plane needs: batches fill it, and the workload's
            // large values are split into pieces (docs/protocol.md, "Large values").
            datagramBytesMax: SIM_SUBMITTER_DATAGRAM_BYTES_MAX,
            protocolTiming: config.replicaTiming,
            runtimeTiming: config.runtimeTiming,
          },
          {
            scheduler: this.scheduler,
            tracer,
            invariants: this.invariants,
            disk: disks.get(id)!,
            walSegmentBytes: config.walSegmentBytes,
            history: config.history,
            prng: nodePrng.fork(`r${id}`),
            send,
            snapshots: (to, clock) => this.snapshotSource(to, clock),
            onApplied: (replica, applied) => this.onApplied(applied),
            onFatal: (replica, error) => this.fail(error, `r${replica}`),
            onStarted: (replica) => {
              this.watches.get(replica)!.onStarted();
              for (const client of this.clients) if (client.host.id === replica) client.onHostRestart();
            },
            onLogTrimmed: (replica) => this.promises.onLogTrimmed(replica),
            faults: nodeFaults(mutation, id),
          },
        ),
    );
    this.sequencers = config.sequencerIds.map(
      (id) =>
        new SimSequencer(id, {
          scheduler: this.scheduler,
          tracer,
          prng: nodePrng.fork(`s${id}`),
          group: config.group,
          replicaIds: config.replicaIds,
          timing: config.sequencerTiming,
          tickIntervalMs: config.runtimeTiming.tickIntervalMs,
          send,
        }),
    );
    for (const node of [...this.replicas, ...this.sequencers]) this.nodes.set(node.name, node);
    const watchDeps = { scheduler: this.scheduler, tracer, log: this.revisionLog };
    for (const replica of this.replicas) {
      this.watches.set(replica.id, new SimWatch(replica, { ...watchDeps, fail: (error) => this.fail(error, `w${replica.id}`) }));
    }
    const workload = prng.fork('workload');
    this.clients = Array.from(
      { length: config.clientCount },
      (_, index) =>
        new SimClient(index, this.replicas[index % this.replicas.length]!, {
          scheduler: this.scheduler,
          tracer,
          history: this.history,
          staleReads: this.staleReads,
          prng: workload.fork(`c${index}`),
          keys: config.keys,
          timing: config.workloadTiming,
          opsMax: config.opsPerClientMax,
          invokeEndMs: config.invokeEndMs,
          fail: (error) => this.fail(error, `c${index}`),
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
    return this.replicas.every((replica) => replica.soft() !== null && this.invariants.lastApplied(replica.id) === slots);
  }

  /** Records the first failure; later ones are consequences of it. */
  fail(error: Error, where: string): void {
    if (this.failure !== null) return;
    const kind = error instanceof InvariantViolation ? 'invariant' : 'exception';
    const message = kind === 'invariant' ? error.message : `${where}: ${error.stack ?? error.message}`;
    this.failure = { kind, message, atMs: this.scheduler.nowMs };
    this.tracer.event(this.scheduler.nowMs, 'sim', () => `FAILURE (${kind}): ${message}`);
  }

  /**
   * Runs until the watch of a replica that applied every slot has delivered every revision it holds: then
   * the revision log reaches the end of the run. What kept it from getting there, or null.
   */
  async watchesCaughtUp(): Promise<string | null> {
    const slots = this.invariants.slotsApplied();
    const caughtUp = this.replicas.find((replica) => replica.soft() !== null && this.invariants.lastApplied(replica.id) === slots);
    if (caughtUp === undefined) return 'no replica applied every slot by the end of the run';
    const revision = caughtUp.appliedRevision()!;
    const watch = this.watches.get(caughtUp.id)!;
    await this.scheduler.runUntil(this.scheduler.nowMs + HISTORY_READ_WAIT_MS, () => watch.deliveredThrough >= revision);
    if (watch.deliveredThrough >= revision) return null;
    return `${caughtUp.name}'s watch delivered through revision ${watch.deliveredThrough} of ${revision} in ${HISTORY_READ_WAIT_MS} simulated ms`;
  }

  /** Puts the lease revokes into the history, one delete per key each deleted, at the instant it took effect. */
  addRevokes(): void {
    for (const revoke of this.revokes.values()) {
      for (const event of this.revisionLog.eventsAt(revoke.revision) ?? []) {
        this.history.pointOp(event.key, { type: 'revoke', lease: revoke.lease }, { type: 'revoked' }, revoke.atMs, revoke.order);
      }
    }
  }

  /**
   * A revoke takes effect where it is first applied: slot order matches the real-time order of completions.
   * Keyed by the revision it created: a resent revoke applied again answers with the cached result, and
   * deletes nothing a second time.
   */
  private onApplied(applied: readonly AppliedEntry[]): void {
    for (const { result } of applied) {
      if (result.type !== 'lease_revoked' || result.deleted === 0 || this.revokes.has(result.revision)) continue;
      const order = this.history.mark();
      this.history.mark();
      this.revokes.set(result.revision, { revision: result.revision, lease: result.lease, atMs: this.scheduler.nowMs, order });
    }
  }

  /**
   * A snapshot stream between replicas (HTTP over TCP in production): it fails at once if the peer is down
   * or cut off, and fails part-way if the peer crashes or a partition cuts the link before it completes.
   * The state sent is the peer's applied state when the stream starts (one iterator).
   */
  private snapshotSource(to: number, clock: ProcessClock): SnapshotSource {
    return {
      fetch: (from) =>
        new Promise((resolve, reject) => {
          const source = this.replicas.find((replica) => replica.id === from);
          if (source === undefined) throw new Error(`r${to} asked for a snapshot from unknown replica ${from}`);
          const target: NodeName = `r${to}`;
          const reachable = (): boolean =>
            source.isUp && !this.network.isCut(target, source.name) && !this.network.isCut(source.name, target);
          const refused = (): void => clock.after(SNAPSHOT_CONNECT_TIMEOUT_MS, () => reject(new Error(`r${from} is unreachable`)));
          if (!reachable()) return refused();
          const incarnation = source.incarnation;
          void source.snapshotRecords().then((records) => {
            if (records === null) return refused();
            const transferMs =
              2 * this.config.calm.latencyMsMax + this.snapshotPrng.between(SNAPSHOT_TRANSFER_MS_MIN, SNAPSHOT_TRANSFER_MS_MAX);
            clock.after(transferMs, () => {
              if (!reachable() || source.incarnation !== incarnation) return reject(new Error(`the transfer from r${from} broke off`));
              resolve({ records: () => iterate(records), discard: () => Promise.resolve() });
            });
          });
        }),
    };
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
        if (action.node.startsWith('r')) this.watches.get(Number(action.node.slice(1)))!.onCrash();
        if (action.node.startsWith('r')) this.promises.onCrash(Number(action.node.slice(1)));
        for (const client of this.clients) if (client.host.name === action.node) client.onHostCrash();
        break;
      case 'restart':
        if (!this.node(action.node).isUp) this.node(action.node).start(); // Else its crash was skipped.
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
    return this.replicas.some((replica) => replica !== target && (replica.isRecovering || (replica.isUp && replica.soft() === null)));
  }

  private node(name: NodeName): SimReplicaNode | SimSequencer {
    const node = this.nodes.get(name);
    if (node === undefined) throw new Error(`no node ${name}`);
    return node;
  }

  /** Every datagram a node sends passes here: a replica's is held against what its disk promises. */
  private send(from: NodeName, to: NodeName, bytes: Uint8Array): void {
    if (from.startsWith('r')) {
      try {
        this.promises.onSend(Number(from.slice(1)), bytes);
      } catch (err) {
        this.fail(err as Error, from);
        throw err;
      }
    }
    this.network.send(from, to, bytes);
  }

  private deliver(to: NodeName, from: NodeName, bytes: Uint8Array): void {
    const delivered = this.mutation === 'tamper-ordered' ? this.maybeTamper(to, bytes) : bytes;
    this.tracer.event(this.scheduler.nowMs, to, () => `<-- ${from} ${describeDatagram(delivered)}`);
    this.node(to).deliver(from, delivered);
  }

  /**
   * The network's deliberate bug: the first ORDERED carrying a request that reaches the highest-numbered
   * replica has its body swapped for another operation, as a corrupting network would. The invariant
   * checker must catch the divergence it causes.
   */
  private maybeTamper(to: NodeName, bytes: Uint8Array): Uint8Array {
    const target = this.replicas.at(-1)!;
    if (this.tampered || to !== target.name || target.soft() === null) return bytes;
    const { header } = decodeDatagram(bytes);
    if (header.type !== MessageType.ORDERED) return bytes;
    this.tampered = true;
    const op = { type: 'put' as const, key: this.config.keys[0]!, value: new TextEncoder().encode('tampered') };
    const body = encodeOpRequest({ floor: 0, ops: [{ requestId: Math.max(1, header.requestId), op }] });
    this.tracer.event(this.scheduler.nowMs, 'sim', () => `TAMPER ORDERED s${header.session}/q${header.seq} to ${to}`);
    return encodeDatagram(header, body);
  }
}

async function* iterate<T>(items: readonly T[]): AsyncGenerator<T> {
  yield* items;
}
