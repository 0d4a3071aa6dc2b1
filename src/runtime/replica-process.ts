// One replica process without its sockets, disk or HTTP server: the replica state machine, the host that
// drives it, the submitter, read barriers, lease expiry and the KvService, built in order from explicit
// ports. Production (replica-node.ts) passes LevelDB, node:dgram and real timers; the simulator (test/sim)
// passes its seeded disk, network and clock — so the simulated cluster IS this code with its I/O swapped.
import type { Logger } from 'pino';
import type { PeerStatus } from '../api/service.js';
import type { ServiceError } from '../api/service-errors.js';
import type { Durability } from '../config/cluster.js';
import { createReplica, machineOf } from '../consensus/replica.js';
import type { ReplicaState, ReplicaTiming } from '../consensus/state.js';
import type { Peer, ReplicaMachine, ReplicaSoftState } from '../consensus/types.js';
import type { LocalReads } from '../store/local-reads.js';
import type { ReplicaLog } from '../store/replica-log.js';
import type { StateStore } from '../store/state-store.js';
import { AppliedSignal } from './applied-signal.js';
import type { Clock, Timer } from './clock.js';
import { LeaseExpiry } from './lease-expiry.js';
import type { AppliedStateStorage, LogStorage, Network, SnapshotSource } from './ports.js';
import { ReadBarrier } from './read-barrier.js';
import { ReplicaHost } from './replica-host.js';
import { ReplicaService } from './replica-service.js';
import { SubmissionGate } from './submission-gate.js';
import { Submitter, type RequestStages, type SubmitterFeed } from './submitter.js';
import type { RuntimeTiming } from './timing.js';

export interface ReplicaProcessConfig {
  id: number;
  group: number;
  replicaIds: readonly number[];
  sequencerIds: readonly number[];
  durability: Durability;
  datagramBytesMax: number;
  protocolTiming: ReplicaTiming;
  runtimeTiming: RuntimeTiming;
  /** Random per process start, drawn by the caller: the submitter's client id and the recovery nonce. */
  clientId: number;
  nonce: number;
}

export interface ReplicaProcessPorts {
  /** The replica's database (src/store/replica-store.ts), or wrappers of its parts. */
  log: LogStorage & Pick<ReplicaLog, 'viewState' | 'load'>;
  state: AppliedStateStorage & Pick<StateStore, 'meta' | 'stateLost'>;
  reads: LocalReads;
  snapshots: SnapshotSource;
  network: Network;
  clock: Clock;
  logger: Logger;
  /** Readiness of the other replicas, for /v1/status. */
  peers(): Promise<PeerStatus[]>;
  /** The leader's countdown of a lease, asked of replica `leaderId` (null: no deadline, or no answer). */
  leaderLeaseRemainingMs(leaderId: number, lease: number): Promise<number | null>;
  /** A store write failed: the process must stop (production exits; the supervisor restarts it). */
  onFatal(error: Error): void;
  onLatency?(latency: RequestStages): void;
}

/**
 * Fault-injection seams for the simulator's deliberate bugs (test/sim/mutations.ts): each wraps one part
 * as it is built. Production passes none.
 */
export interface ReplicaProcessSeams {
  machine?(machine: ReplicaMachine, state: ReplicaState): ReplicaMachine;
  feed?(feed: SubmitterFeed): SubmitterFeed;
}

export class ReplicaProcess {
  private constructor(
    readonly host: ReplicaHost,
    readonly machine: ReplicaMachine,
    readonly submitter: Submitter,
    private readonly gate: SubmissionGate,
    readonly service: ReplicaService,
    private readonly ticker: Timer,
    /** This replica's own countdown of leases, which peers ask when it leads (lease-remaining.ts). */
    readonly leaseCountdown: Pick<LeaseExpiry, 'remainingMs'>,
  ) {}

  static async start(config: ReplicaProcessConfig, ports: ReplicaProcessPorts, seams: ReplicaProcessSeams = {}): Promise<ReplicaProcess> {
    const { clock } = ports;
    const timing = config.runtimeTiming;
    const restore = {
      viewState: ports.log.viewState(),
      appliedSlot: ports.state.meta().appliedSlot,
      log: await ports.log.load(),
      nowMs: clock.nowMs(),
      stateLost: ports.state.stateLost,
    };
    const state = createReplica(
      {
        id: config.id,
        group: config.group,
        replicaIds: config.replicaIds,
        sequencerIds: config.sequencerIds,
        durability: config.durability,
        timing: config.protocolTiming,
        logRetainEntries: timing.logRetainEntries,
        pendingEntriesMax: timing.pendingEntriesMax,
        nonce: config.nonce,
      },
      restore,
    );
    const machine = seams.machine?.(machineOf(state), state) ?? machineOf(state);
    const soft = (): ReplicaSoftState => machine.soft();
    ports.logger.info({ ...soft(), restoredLogEntries: restore.log.length }, 'replica state restored');

    const submitter = new Submitter({
      group: config.group,
      clientId: config.clientId,
      datagramBytesMax: config.datagramBytesMax,
      resendIntervalMs: timing.requestResendIntervalMs,
      resendIntervalMsMax: timing.requestResendIntervalMsMax,
      commitTimeoutMs: timing.commitTimeoutMs,
      inFlightMax: timing.requestsInFlightMax,
      batchesInFlightMax: timing.requestBatchesInFlightMax,
      singleBatchFromOps: timing.requestSingleBatchFromOps,
      // Always to the sequencer of the replica's current session, which a session change replaces.
      send: (bytes) => ports.network.send({ sequencer: soft().sequencerId }, bytes),
      nowMs: () => clock.nowMs(),
      wallMs: () => clock.wallMs(),
      ...(ports.onLatency ? { onLatency: ports.onLatency } : {}),
    });
    const gate = new SubmissionGate(submitter, soft, clock, timing.sequencerSilenceMs);
    const appliedSignal = new AppliedSignal();
    const readBarrier = new ReadBarrier(() => gate.submit({ type: 'barrier' }));
    // The leader proposes revokes of leases whose TTL ran out on its clock (lease-expiry.ts).
    const leaseExpiry = new LeaseExpiry({
      isLeader: () => soft().leaderId === config.id && soft().status === 'normal',
      nowMs: () => clock.nowMs(),
      readLeases: () => ports.reads.readLeases(),
      revoke: (lease) => gate.submit({ type: 'lease_revoke', lease }),
      onError: (err) => ports.logger.debug({ err }, 'lease expiry will retry'),
    });
    const service = new ReplicaService({
      soft,
      gate,
      readBarrier,
      reads: ports.reads,
      // Only the leader counts leases down; a follower asks it (peer listener, lease-remaining.ts).
      leaseRemainingMs: async (lease) => {
        const { leaderId } = soft();
        return leaderId === config.id ? leaseExpiry.remainingMs(lease) : ports.leaderLeaseRemainingMs(leaderId, lease);
      },
      appliedSignal,
      revision: () => ports.state.meta().revision,
      peers: () => ports.peers(),
    });
    const feed = seams.feed?.(submitter) ?? submitter;
    const host = new ReplicaHost({
      machine,
      log: ports.log,
      state: ports.state,
      snapshots: ports.snapshots,
      network: ports.network,
      clock,
      logger: ports.logger,
      checkpointIntervalMs: timing.checkpointIntervalMs,
      logTrimStepEntries: timing.logTrimStepEntries,
      onLogged: (entries) => feed.onLogged(entries),
      onDurable: (entries) => feed.onDurable(entries),
      onCommitted: (entries) => feed.onCommitted(entries),
      onApplied: (entries) => {
        feed.onApplied(entries);
        appliedSignal.notify();
        leaseExpiry.onApplied(entries);
      },
      // Watches and waits on the applied state re-read it; a watch would otherwise stall until the next apply.
      onSnapshotInstalled: () => appliedSignal.notify(),
      onFatal: (err) => ports.onFatal(err),
    });
    const ticker = clock.every(timing.tickIntervalMs, () => {
      host.tick();
      submitter.onTick();
      leaseExpiry.onTick();
    });
    return new ReplicaProcess(host, machine, submitter, gate, service, ticker, leaseExpiry);
  }

  receive(from: Peer, bytes: Uint8Array): void {
    this.host.receive(from, bytes);
  }

  soft(): ReplicaSoftState {
    return this.machine.soft();
  }

  /** Refuses new work, fails what is in flight, stops the timers and waits for the writes handed out. */
  async stop(error: ServiceError): Promise<void> {
    this.gate.close();
    this.ticker.cancel();
    this.submitter.failAll(error);
    await this.host.stop();
  }
}
