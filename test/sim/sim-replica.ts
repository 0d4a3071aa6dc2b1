// A simulated replica node: the pure replica state machine, its disk and its in-memory state machine,
// driven the way the production runtime drives them (types.ts). Effects run in list order; a
// `persist-view` holds back every effect after it until the view state is durable; `persist-log` is
// confirmed later by a `persisted` input; a `flush` follows every burst of inputs; a `tick` fires on a
// timer. A crash throws away the process (state, queued effects, timers); a restart rebuilds it from
// whatever the simulated disk kept.
import type { ReplicaEffect, ReplicaInput, Peer } from '../../src/consensus/types.js';
import type { LogEntry } from '../../src/consensus/log-entry.js';
import type { AppliedEntry } from '../../src/store/applied.js';
import type { ApplyInvariants } from './invariants.js';
import type { NodeName, Network } from './network.js';
import type { Prng } from './prng.js';
import {
  describeReplica,
  isRecovering,
  sequencerServing,
  startReplica,
  stepSimReplica,
  type ReplicaSetup,
  type SimReplicaState,
} from './replica-adapter.js';
import type { Scheduler } from './scheduler.js';
import type { SimDisk } from './disk.js';
import { applyToState, type AppliedState } from './sim-store.js';
import { describeDatagram, type Tracer } from './trace.js';
import { ProcessTimers } from './process-timers.js';

/** How a snapshot transfer ended. The runtime stages the whole stream before installing it, so a broken
 *  transfer leaves the store untouched; the install itself is local and modelled as instant. */
export type SnapshotOutcome = { kind: 'installed'; state: AppliedState } | { kind: 'failed' };

export interface SimReplicaDeps {
  scheduler: Scheduler;
  network: Network;
  tracer: Tracer;
  invariants: ApplyInvariants;
  disk: SimDisk;
  /** Nonces for new incarnations and the tick phase. */
  prng: Prng;
  tickIntervalMs: number;
  /** Called after each apply with what this replica's state machine returned. */
  onApplied: (replica: number, applied: readonly AppliedEntry[]) => void;
  /** Streams peer `from`'s state to replica `to` (HTTP in production); `onStreamStart` runs if the peer answers. */
  fetchSnapshot: (to: number, from: number, done: (outcome: SnapshotOutcome) => void) => void;
}

/** A persist-log write not yet confirmed: confirmations must never claim a slot still in the queue. */
interface OutstandingWrite {
  epoch: number;
  slotMin: number;
  slotMax: number;
}

export class SimReplica {
  readonly name: NodeName;
  private state: SimReplicaState | null = null;
  private applied!: AppliedState;
  /** Effects waiting behind a persist-view that is not durable yet. */
  private held: ReplicaEffect[] = [];
  private waitingForView = false;
  private outstanding: OutstandingWrite[] = [];
  /** Timers and disk/transfer callbacks of an earlier incarnation (before a crash) do nothing. */
  private readonly timers: ProcessTimers;

  constructor(
    readonly setup: ReplicaSetup,
    private readonly deps: SimReplicaDeps,
  ) {
    this.name = `r${setup.id}`;
    this.timers = new ProcessTimers(deps.scheduler, deps.tickIntervalMs, (input) => this.step(input));
  }

  get id(): number {
    return this.setup.id;
  }

  get isUp(): boolean {
    return this.state !== null;
  }

  /** Up, but still without the data it lost (recovery protocol not finished). */
  get isRecovering(): boolean {
    return this.state !== null && isRecovering(this.state);
  }

  /** Changes at every crash: a peer streaming a snapshot from this node notices it went away. */
  get incarnationNumber(): number {
    return this.timers.incarnation;
  }

  /** The state machine as a snapshot would export it (immutable, so it is a point-in-time view). */
  get appliedState(): AppliedState {
    return this.applied;
  }

  /** The sequencer this node's submitters send to, or null while the node is down. */
  sequencerForRequests(): number | null {
    return this.state === null ? null : sequencerServing(this.state);
  }

  describe(): string {
    return this.state === null ? 'down' : describeReplica(this.state);
  }

  /** Starts (or restarts) the process from the disk's image. */
  start(): void {
    if (this.state !== null) throw new Error(`${this.name} is already up`);
    const image = this.deps.disk.image();
    const appliedSlot = image.applied.meta.appliedSlot;
    this.applied = image.applied;
    this.deps.invariants.onRestart(this.id, this.setup.durability, appliedSlot, image.stateLost);
    const restore = { viewState: image.viewState, appliedSlot, log: image.log, stateLost: image.stateLost };
    this.state = startReplica(this.setup, restore, this.deps.scheduler.nowMs, this.deps.prng.nextU32());
    this.trace(
      () =>
        `start: ${image.log.length} log entries on disk, applied ${appliedSlot}${image.stateLost ? ', state lost' : ''}; ${this.describe()}`,
    );
    // Like the production runtime: announce where we are right away.
    this.step({ kind: 'flush', nowMs: this.deps.scheduler.nowMs });
    this.timers.scheduleTick(this.deps.prng.between(0, this.deps.tickIntervalMs));
  }

  crash(): void {
    if (this.state === null) throw new Error(`${this.name} is already down`);
    this.trace(() => `CRASH (${this.describe()})`);
    this.state = null;
    this.timers.crash();
    this.held = [];
    this.waitingForView = false;
    this.outstanding = [];
    this.deps.disk.crash();
  }

  deliver(from: NodeName, bytes: Uint8Array): void {
    if (this.state === null) return;
    this.trace(() => `<-- ${from} ${describeDatagram(bytes)}`);
    this.step({ kind: 'datagram', from: peerOf(from), bytes, nowMs: this.deps.scheduler.nowMs });
    this.timers.scheduleFlush();
  }

  private step(input: ReplicaInput): void {
    const state = this.state;
    if (state === null) return;
    this.perform(stepSimReplica(state, input));
  }

  private perform(effects: readonly ReplicaEffect[]): void {
    if (this.waitingForView) {
      this.held.push(...effects);
      return;
    }
    for (let i = 0; i < effects.length; i += 1) {
      const effect = effects[i]!;
      if (effect.kind === 'persist-view') {
        this.persistView(effect.view, effects.slice(i + 1));
        return;
      }
      this.performOne(effect);
    }
  }

  private persistView(view: Extract<ReplicaEffect, { kind: 'persist-view' }>['view'], after: ReplicaEffect[]): void {
    this.trace(
      () =>
        `persist-view v${view.view} s${view.session}@seq${view.sequencerId} base=${view.sessionBase} lastNormal=v${view.lastNormalView}/s${view.lastNormalSession}`,
    );
    this.waitingForView = true;
    this.held = after;
    this.deps.disk.write(
      { kind: 'view', view: { ...view } },
      this.timers.guard(() => {
        this.waitingForView = false;
        const held = this.held;
        this.held = [];
        this.perform(held);
      }),
    );
  }

  private performOne(effect: Exclude<ReplicaEffect, { kind: 'persist-view' }>): void {
    switch (effect.kind) {
      case 'send':
        this.deps.network.send(this.name, nameOf(effect.to), effect.bytes);
        break;
      case 'persist-log':
        this.persistLog(effect.entries, effect.epoch);
        break;
      case 'truncate-log':
        this.trace(() => `truncate-log after slot ${effect.afterSlot}`);
        this.deps.disk.write({ kind: 'truncate-log', afterSlot: effect.afterSlot }, () => {});
        break;
      case 'apply':
        this.apply(effect.entries);
        break;
      case 'fetch-snapshot':
        this.fetchSnapshot(effect.from);
        break;
    }
  }

  private fetchSnapshot(from: number): void {
    this.trace(() => `fetch-snapshot from r${from}`);
    this.deps.fetchSnapshot(
      this.id,
      from,
      this.timers.guard((outcome) => {
        const nowMs = this.deps.scheduler.nowMs;
        if (outcome.kind === 'installed') {
          const slot = outcome.state.meta.appliedSlot;
          this.trace(() => `snapshot from r${from} installed at slot ${slot}`);
          this.deps.invariants.onSnapshotInstalled(this.id, slot);
          this.applied = outcome.state;
          this.deps.disk.beginInstall();
          this.deps.disk.completeInstall(outcome.state);
          this.step({ kind: 'snapshot-installed', appliedSlot: slot, nowMs });
        } else {
          this.trace(() => `snapshot from r${from} failed`);
          this.step({ kind: 'snapshot-failed', nowMs });
        }
        this.timers.scheduleFlush();
      }),
    );
  }

  private persistLog(entries: LogEntry[], epoch: number): void {
    if (entries.length === 0) return;
    const slots = entries.map((entry) => entry.slot);
    const write: OutstandingWrite = { epoch, slotMin: Math.min(...slots), slotMax: Math.max(...slots) };
    this.outstanding.push(write);
    // Copies: the replica may keep changing its own objects; the disk holds what was handed over.
    this.deps.disk.write(
      { kind: 'log', entries: entries.map((entry) => ({ ...entry })) },
      this.timers.guard(() => {
        this.outstanding.splice(this.outstanding.indexOf(write), 1);
        // Only what is really durable: nothing at or above a slot of the same epoch still queued.
        const queuedMin = Math.min(...this.outstanding.filter((w) => w.epoch === epoch).map((w) => w.slotMin));
        const throughSlot = Math.min(write.slotMax, queuedMin - 1);
        if (throughSlot < 1) return;
        this.step({ kind: 'persisted', throughSlot, epoch });
        this.timers.scheduleFlush();
      }),
    );
  }

  private apply(entries: LogEntry[]): void {
    this.deps.invariants.checkEntries(this.id, entries);
    const { state, applied } = applyToState(this.applied, entries);
    this.applied = state;
    this.trace(() => `apply slots ${entries[0]?.slot}..${entries.at(-1)?.slot} (revision ${state.meta.revision})`);
    this.deps.invariants.checkResults(this.id, applied);
    this.deps.disk.saveApplied(state);
    this.deps.onApplied(this.id, applied);
  }

  private trace(text: () => string): void {
    this.deps.tracer.event(this.deps.scheduler.nowMs, this.name, text);
  }
}

export function nameOf(peer: Peer): NodeName {
  return 'sequencer' in peer ? `s${peer.sequencer}` : `r${peer.replica}`;
}

function peerOf(name: NodeName): Peer {
  const id = Number(name.slice(1));
  return name.startsWith('s') ? { sequencer: id } : { replica: id };
}
