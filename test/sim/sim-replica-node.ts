// A simulated replica node: the production replica process (src/runtime/replica-process.ts) over the
// production store (src/store) on a simulated disk, with a simulated clock and network. Only the ports
// are the simulator's; the apply path, the host's group commit and view-state gate, the submitter and the
// read barrier are the code users run. A crash throws the process away with its clock, timers and
// unfinished writes; a restart opens the store on whatever the disk kept. The state port is wrapped only
// to report applies to the invariant checker and the trace.
import pino, { type Logger } from 'pino';
import { Writable } from 'node:stream';
import type { KvService } from '../../src/api/service.js';
import type { Clock } from '../../src/runtime/clock.js';
import type { LogEntry } from '../../src/consensus/log-entry.js';
import type { Peer, ReplicaSoftState } from '../../src/consensus/types.js';
import type { AppliedEntry } from '../../src/store/applied.js';
import { openReplicaStore, type ReplicaStore } from '../../src/store/replica-store.js';
import type { Database } from '../../src/store/database.js';
import type { LocalReads } from '../../src/store/local-reads.js';
import type { SnapshotRecord } from '../../src/store/snapshot.js';
import type { ReplicaProcessConfig, ReplicaProcessSeams } from '../../src/runtime/replica-process.js';
import { ReplicaProcess } from '../../src/runtime/replica-process.js';
import type { AppliedStateStorage, LogStorage, Network, SnapshotSource } from '../../src/runtime/ports.js';
import type { ApplyInvariants } from './invariants.js';
import type { NodeName } from './network.js';
import type { Prng } from './prng.js';
import type { Scheduler } from './scheduler.js';
import type { SimDisk } from './sim-disk.js';
import { ProcessClock, WALL_CLOCK_SKEW_MS_MAX } from './sim-clock.js';
import type { Tracer } from './trace.js';

/** The process configuration a node fixes for every incarnation; the random ids are drawn per start. */
export type NodeSetup = Omit<ReplicaProcessConfig, 'clientId' | 'nonce'>;

/** Per-incarnation wrappers a deliberate bug (mutations.ts) puts around the production parts. */
export interface NodeFaults {
  seams: ReplicaProcessSeams;
  log?(log: LogStorage): LogStorage;
  state?(state: AppliedStateStorage): AppliedStateStorage;
  network?(network: Network): Network;
  reads?(database: Database): LocalReads;
}

export interface SimReplicaNodeDeps {
  scheduler: Scheduler;
  tracer: Tracer;
  invariants: ApplyInvariants;
  disk: SimDisk;
  walSegmentBytes: number;
  history: { retainRevisions: number; sweepStepRevisions: number };
  /** Ids and nonces for new incarnations, and clock phases. */
  prng: Prng;
  send(from: NodeName, to: NodeName, bytes: Uint8Array): void;
  /** A peer's snapshot for this node, or a rejection if the transfer breaks off (HTTP in production). */
  snapshots(to: number, clock: ProcessClock): SnapshotSource;
  onApplied(replica: number, applied: readonly AppliedEntry[]): void;
  /** The process hit a fatal error (a store write failed, an assertion): the run fails with it. */
  onFatal(replica: number, error: Error): void;
  onStarted(replica: number): void;
  /** The log dropped segments: what the replica ACKed must still be on disk. */
  onLogTrimmed(replica: number): void;
  faults: NodeFaults;
}

interface Incarnation {
  readonly number: number;
  readonly clock: ProcessClock;
  store: ReplicaStore | null;
  process: ReplicaProcess | null;
}

/** Replicas' wall clocks disagree, each by a fixed amount (no draw from the seed's streams). */
function wallSkewMs(replicaId: number): number {
  return ((replicaId * 1_237) % (2 * WALL_CLOCK_SKEW_MS_MAX)) - WALL_CLOCK_SKEW_MS_MAX;
}

export class SimReplicaNode {
  readonly name: NodeName;
  private life: Incarnation | null = null;
  private incarnations = 0;

  constructor(
    readonly id: number,
    private readonly setup: NodeSetup,
    private readonly deps: SimReplicaNodeDeps,
  ) {
    this.name = `r${id}`;
  }

  /** Running (not crashed); it may still be opening its store. */
  get isUp(): boolean {
    return this.life !== null;
  }

  get incarnation(): number {
    return this.incarnations;
  }

  /** The clock of the running incarnation, null while down. */
  get clock(): Clock | null {
    return this.life?.clock ?? null;
  }

  get service(): KvService | null {
    return this.life?.process?.service ?? null;
  }

  soft(): ReplicaSoftState | null {
    return this.life?.process?.soft() ?? null;
  }

  /** Up, but still without the data it lost: the recovery protocol has not finished. */
  get isRecovering(): boolean {
    return this.soft()?.status === 'recovering';
  }

  describe(): string {
    if (this.life === null) return 'down';
    const soft = this.soft();
    if (soft === null) return 'starting';
    return `${soft.status} v${soft.view} s${soft.session}@seq${soft.sequencerId} base=${soft.sessionBase} through=${soft.through} commit=${soft.commit} applied=${soft.applied}`;
  }

  /** This node's applied state as a snapshot stream would carry it, read through one iterator now. */
  async snapshotRecords(): Promise<SnapshotRecord[] | null> {
    const store = this.life?.store;
    if (!store) return null;
    const records: SnapshotRecord[] = [];
    for await (const record of store.state.snapshot()) records.push(record);
    return records;
  }

  /** The store revision of what this node applied, null while down or starting. */
  appliedRevision(): number | null {
    return this.life?.store?.state.meta().revision ?? null;
  }

  /** Starts (or restarts) the process from the disk's image. */
  start(): void {
    if (this.life !== null) throw new Error(`${this.name} is already up`);
    this.incarnations += 1;
    const life: Incarnation = {
      number: this.incarnations,
      clock: new ProcessClock(this.deps.scheduler, this.deps.prng.fork(`i${this.incarnations}`), wallSkewMs(this.id)),
      store: null,
      process: null,
    };
    this.life = life;
    void this.boot(life).catch((err: Error) => {
      if (this.life === life) this.deps.onFatal(this.id, err);
    });
  }

  crash(): void {
    if (this.life === null) throw new Error(`${this.name} is already down`);
    this.trace(() => `CRASH (${this.describe()})`);
    this.life.clock.stop();
    this.life = null;
    this.deps.disk.crash();
  }

  deliver(from: NodeName, bytes: Uint8Array): void {
    this.life?.process?.receive(peerOf(from), bytes);
  }

  private async boot(life: Incarnation): Promise<void> {
    const { disk, prng, invariants } = this.deps;
    const parts = disk.open();
    const store = await openReplicaStore(parts, {
      durability: this.setup.durability,
      logRetainEntries: this.setup.runtimeTiming.logRetainEntries,
      walSegmentBytes: this.deps.walSegmentBytes,
      eventRetainRevisions: this.deps.history.retainRevisions,
      historySweepStepRevisions: this.deps.history.sweepStepRevisions,
    });
    if (this.life !== life) return;
    life.store = store;
    const appliedSlot = store.state.meta().appliedSlot;
    invariants.onRestart(this.id, this.setup.durability, appliedSlot, store.state.stateLost);
    const network: Network = { send: (to, bytes) => this.deps.send(this.name, nameOf(to), bytes) };
    const process = await ReplicaProcess.start(
      { ...this.setup, clientId: 1 + (prng.nextU32() % 0xffff_fffe), nonce: 1 + prng.nextU32() },
      {
        log: this.tracedLog(store),
        state: this.observedState(store),
        reads: this.deps.faults.reads?.(parts.database) ?? store.reads,
        snapshots: this.deps.snapshots(this.id, life.clock),
        network: this.deps.faults.network?.(network) ?? network,
        clock: life.clock,
        logger: this.logger(),
        peers: () => Promise.resolve([]),
        // The simulator has no HTTP between replicas, and its workload never reads a lease's time left.
        leaderLeaseRemainingMs: () => Promise.resolve(null),
        onFatal: (err) => {
          if (this.life === life) this.deps.onFatal(this.id, err);
        },
      },
      this.deps.faults.seams,
    );
    if (this.life !== life) return;
    life.process = process;
    this.trace(() => `start: applied ${appliedSlot}${store.state.stateLost ? ', state lost' : ''}; ${this.describe()}`);
    this.deps.onStarted(this.id);
  }

  /** The store's log port (or the mutation's wrapper of it), each write in the trace when it is done. */
  private tracedLog(store: ReplicaStore): Parameters<typeof ReplicaProcess.start>[1]['log'] {
    const log = { ...boundLog(store), ...(this.deps.faults.log?.(boundLog(store)) ?? {}) };
    const done = (what: () => string) => () => this.trace(what);
    return {
      ...log,
      append: (entries) =>
        log.append(entries).then(done(() => `log append ${entries.map((e) => `${e.slot}${e.noop ? 'n' : ''}`).join(',')} done`)),
      truncateAfter: (slot) => log.truncateAfter(slot).then(done(() => `log truncate after ${slot} done`)),
      trimBelow: (slot) =>
        log.trimBelow(slot).then(() => {
          this.trace(() => `log trim below ${slot} done`);
          this.deps.onLogTrimmed(this.id);
        }),
      saveView: (view) =>
        log
          .saveView(view)
          .then(done(() => `view state v${view.view} s${view.session} base=${view.sessionBase} bound=${view.sequencerIncarnation} saved`)),
    };
  }

  /** The store's state port, reporting every apply and install to the checkers. */
  private observedState(store: ReplicaStore): ReplicaProcessPortsState {
    const { invariants } = this.deps;
    const storage = this.deps.faults.state?.(store.state) ?? store.state;
    return {
      meta: () => store.state.meta(),
      get stateLost() {
        return store.state.stateLost;
      },
      applyBatch: async (entries: readonly LogEntry[], checkpoint: boolean, onResults: (applied: AppliedEntry[]) => void) => {
        invariants.beforeApply(this.id, entries);
        const applied = await storage.applyBatch(entries, checkpoint, (results) => {
          invariants.afterApply(this.id, results);
          this.deps.onApplied(this.id, results);
          onResults(results);
        });
        const kind = checkpoint ? 'checkpoint' : 'apply';
        this.trace(() => `${kind} written: slots ${entries[0]?.slot}..${entries.at(-1)?.slot} (revision ${store.state.meta().revision})`);
        return applied;
      },
      installSnapshot: async (records: AsyncIterable<SnapshotRecord>, beforeReplace: () => Promise<void>) => {
        const meta = await storage.installSnapshot(records, beforeReplace);
        this.trace(() => `snapshot installed at slot ${meta.appliedSlot}`);
        invariants.onSnapshotInstalled(this.id, meta.appliedSlot);
        return meta;
      },
    };
  }

  /** The production logs (status transitions, snapshots) as trace lines; silent when not tracing. */
  private logger(): Logger {
    if (!this.deps.tracer.enabled) return pino({ level: 'silent' });
    const sink = new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        const {
          msg,
          level: _level,
          time: _time,
          pid: _pid,
          hostname: _hostname,
          ...fields
        } = JSON.parse(chunk.toString('utf8')) as Record<string, unknown>;
        this.trace(() => `log: ${String(msg)} ${JSON.stringify(fields)}`);
        done();
      },
    });
    return pino({ level: 'info' }, sink);
  }

  private trace(text: () => string): void {
    this.deps.tracer.event(this.deps.scheduler.nowMs, this.name, text);
  }
}

type ReplicaProcessPortsState = Parameters<typeof ReplicaProcess.start>[1]['state'];

/** The store's log port with its methods bound, so wrappers can spread and replace them. */
function boundLog(store: ReplicaStore): Parameters<typeof ReplicaProcess.start>[1]['log'] {
  const { log } = store;
  return {
    append: (entries) => log.append(entries),
    truncateAfter: (slot) => log.truncateAfter(slot),
    saveView: (view) => log.saveView(view),
    trimBelow: (slot) => log.trimBelow(slot),
    viewState: () => log.viewState(),
    load: () => log.load(),
  };
}

export function nameOf(peer: Peer): NodeName {
  return 'sequencer' in peer ? `s${peer.sequencer}` : `r${peer.replica}`;
}

function peerOf(name: NodeName): Peer {
  const id = Number(name.slice(1));
  return name.startsWith('s') ? { sequencer: id } : { replica: id };
}
