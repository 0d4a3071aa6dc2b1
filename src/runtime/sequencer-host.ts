// Drives the pure sequencer (src/sequencer) with I/O through ports: datagrams in, one flush per receive
// burst (so at most one COMMIT notice covers a burst of acks), a tick on a timer, sends out. The same
// host runs over node:dgram in production (sequencer-node.ts) and over the simulated network in test/sim.
import type { Logger } from 'pino';
import { stepSequencer } from '../sequencer/protocol.js';
import type { SequencerCounters } from '../sequencer/counters.js';
import type { SequencerInput, SequencerState } from '../sequencer/state.js';
import type { Clock, Timer } from './clock.js';

export interface SequencerHostOptions {
  state: SequencerState;
  clock: Clock;
  logger: Logger;
  tickIntervalMs: number;
  /** Sends to a replica; `onError` is called if the kernel refuses the datagram. */
  send(to: number, bytes: Uint8Array, onError: () => void): void;
  /** Sends once to the replicas' multicast group; absent = a fan-out is one send per replica. */
  multicast?(bytes: Uint8Array, onError: () => void): void;
  /** A data plane that keeps part of the state elsewhere (the XDP program's seq counter and session,
   *  src/runtime/xdp-sequencer-node.ts): synced into the state before each step, and out of it after. */
  dataPlane?: SequencerDataPlane;
}

export interface SequencerDataPlane {
  beforeStep(state: SequencerState, input: SequencerInput): void;
  afterStep(state: SequencerState): void;
}

export type SequencerHostCounters = SequencerCounters & {
  /** Sends the kernel refused (e.g. a full send buffer); the copies stay in the ring for resend. */
  sendErrors: number;
};

export class SequencerHost {
  private sendErrors = 0;
  private flushPending = false;
  private readonly ticker: Timer;
  private stopped = false;

  constructor(private readonly options: SequencerHostOptions) {
    this.ticker = options.clock.every(options.tickIntervalMs, () => this.step({ kind: 'tick', nowMs: options.clock.nowMs() }));
  }

  /** `fromReplica`: the configured replica the source address belongs to, null for a stranger. */
  receive(fromReplica: number | null, bytes: Uint8Array): void {
    this.step({ kind: 'datagram', fromReplica, bytes, nowMs: this.options.clock.nowMs() });
    if (this.flushPending) return;
    this.flushPending = true;
    this.options.clock.defer(() => {
      this.flushPending = false;
      this.step({ kind: 'flush', nowMs: this.options.clock.nowMs() });
    });
  }

  counters(): SequencerHostCounters {
    const { counters } = this.options.state;
    return { ...counters, dropped: { ...counters.dropped }, sendErrors: this.sendErrors };
  }

  /** The session being served and its last stamped seq, for logs and the simulator's trace. */
  describe(): string {
    const { session, view, seqLast, commit } = this.options.state;
    return `s${session} v${view} last=${seqLast} commit=${commit}`;
  }

  stop(): void {
    this.stopped = true;
    this.ticker.cancel();
  }

  private step(input: SequencerInput): void {
    if (this.stopped) return;
    const { state, send, multicast, dataPlane } = this.options;
    const sessionBefore = state.session;
    dataPlane?.beforeStep(state, input);
    const effects = stepSequencer(state, input);
    dataPlane?.afterStep(state);
    const onError = (): void => {
      this.sendErrors += 1;
    };
    let multicastLast: Uint8Array | null = null;
    for (const effect of effects) {
      if (multicast === undefined || !effect.fanOut) send(effect.to, effect.bytes, onError);
      else if (effect.bytes !== multicastLast) multicast(effect.bytes, onError);
      if (effect.fanOut) multicastLast = effect.bytes;
    }
    if (state.session !== sessionBefore) this.options.logger.info({ session: state.session, view: state.view }, 'session started');
  }
}
