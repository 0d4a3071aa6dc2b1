// A simulated sequencer node: the pure sequencer state machine fed with datagrams, a flush after each
// burst and a tick on a timer, like the userspace runtime. It keeps nothing durable, so a restart is a
// fresh createSequencer that serves no session until a leader's SESSION_START gives it one.
import type { NodeName, Network } from './network.js';
import type { Prng } from './prng.js';
import { ProcessTimers } from './process-timers.js';
import { describeSequencer, startSequencer, stepSimSequencer, type SequencerTiming, type SimSequencerState } from './replica-adapter.js';
import type { Scheduler } from './scheduler.js';
import { describeDatagram, type Tracer } from './trace.js';
import type { SequencerInput } from '../../src/sequencer/protocol.js';

export interface SimSequencerDeps {
  scheduler: Scheduler;
  network: Network;
  tracer: Tracer;
  prng: Prng;
  group: number;
  replicaIds: readonly number[];
  timing: SequencerTiming;
  tickIntervalMs: number;
}

export class SimSequencer {
  readonly name: NodeName;
  private state: SimSequencerState | null = null;
  private readonly timers: ProcessTimers;

  constructor(
    readonly id: number,
    private readonly deps: SimSequencerDeps,
  ) {
    this.name = `s${id}`;
    this.timers = new ProcessTimers(deps.scheduler, deps.tickIntervalMs, (input) => this.step(input));
  }

  get isUp(): boolean {
    return this.state !== null;
  }

  describe(): string {
    return this.state === null ? 'down' : describeSequencer(this.state);
  }

  start(): void {
    if (this.state !== null) throw new Error(`${this.name} is already up`);
    this.state = startSequencer(this.deps.group, this.deps.replicaIds, this.deps.timing, 1 + (this.deps.prng.nextU32() % 0xffff_fffe));
    this.trace(() => 'start (no session)');
    this.timers.scheduleTick(this.deps.prng.between(0, this.deps.tickIntervalMs));
  }

  crash(): void {
    if (this.state === null) throw new Error(`${this.name} is already down`);
    this.trace(() => `CRASH (${this.describe()})`);
    this.state = null;
    this.timers.crash();
  }

  /** Submitters send from their replica node's address, so REQUESTs arrive "from" a replica too. */
  deliver(from: NodeName, bytes: Uint8Array): void {
    if (this.state === null) return;
    this.trace(() => `<-- ${from} ${describeDatagram(bytes)}`);
    const fromReplica = from.startsWith('r') ? Number(from.slice(1)) : null;
    this.step({ kind: 'datagram', fromReplica, bytes, nowMs: this.deps.scheduler.nowMs });
    this.timers.scheduleFlush();
  }

  private step(input: SequencerInput): void {
    if (this.state === null) return;
    for (const effect of stepSimSequencer(this.state, input)) this.deps.network.send(this.name, `r${effect.to}`, effect.bytes);
  }

  private trace(text: () => string): void {
    this.deps.tracer.event(this.deps.scheduler.nowMs, this.name, text);
  }
}
