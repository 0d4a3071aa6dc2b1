// A simulated sequencer node: the production sequencer host (src/runtime/sequencer-host.ts) over the
// pure sequencer, on the simulated clock and network. It keeps nothing durable, so a restart is a fresh
// sequencer that serves no session until a leader's SESSION_START gives it one.
import pino from 'pino';
import { SequencerHost } from '../../src/runtime/sequencer-host.js';
import { createSequencer } from '../../src/sequencer/state.js';
import type { NodeName } from './network.js';
import type { Prng } from './prng.js';
import type { Scheduler } from './scheduler.js';
import { ProcessClock } from './sim-clock.js';
import type { Tracer } from './trace.js';

export interface SequencerTiming {
  ringCapacity: number;
  retransmitIntervalMs: number;
  retransmitIntervalMsMax: number;
  heartbeatIntervalMs: number;
  resendPerTickMax: number;
}

export interface SimSequencerDeps {
  scheduler: Scheduler;
  tracer: Tracer;
  prng: Prng;
  group: number;
  replicaIds: readonly number[];
  timing: SequencerTiming;
  tickIntervalMs: number;
  send(from: NodeName, to: NodeName, bytes: Uint8Array): void;
}

const SILENT = pino({ level: 'silent' });
/** Production's largest limit; the submitters send at most SIM_SUBMITTER_DATAGRAM_BYTES_MAX (cluster.ts). */
const SIM_DATAGRAM_BYTES_MAX = 65_000;

export class SimSequencer {
  readonly name: NodeName;
  private life: { clock: ProcessClock; host: SequencerHost } | null = null;

  constructor(
    readonly id: number,
    private readonly deps: SimSequencerDeps,
  ) {
    this.name = `s${id}`;
  }

  get isUp(): boolean {
    return this.life !== null;
  }

  describe(): string {
    return this.life === null ? 'down' : this.life.host.describe();
  }

  start(): void {
    if (this.life !== null) throw new Error(`${this.name} is already up`);
    const { deps } = this;
    const clock = new ProcessClock(deps.scheduler, deps.prng.fork('clock'));
    const incarnation = 1 + (deps.prng.nextU32() % 0xffff_fffe);
    const host = new SequencerHost({
      state: createSequencer({
        group: deps.group,
        replicaIds: deps.replicaIds,
        ...deps.timing,
        incarnation,
        datagramBytesMax: SIM_DATAGRAM_BYTES_MAX,
      }),
      clock,
      logger: SILENT,
      tickIntervalMs: deps.tickIntervalMs,
      send: (to, bytes) => deps.send(this.name, `r${to}`, bytes),
    });
    this.life = { clock, host };
    this.trace(() => 'start (no session)');
  }

  crash(): void {
    if (this.life === null) throw new Error(`${this.name} is already down`);
    this.trace(() => `CRASH (${this.describe()})`);
    this.life.clock.stop();
    this.life.host.stop();
    this.life = null;
  }

  /** Submitters send from their replica node's address, so REQUESTs arrive "from" a replica too. */
  deliver(from: NodeName, bytes: Uint8Array): void {
    this.life?.host.receive(from.startsWith('r') ? Number(from.slice(1)) : null, bytes);
  }

  private trace(text: () => string): void {
    this.deps.tracer.event(this.deps.scheduler.nowMs, this.name, text);
  }
}
