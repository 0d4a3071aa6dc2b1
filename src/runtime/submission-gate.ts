// Whether this node can take a write now, decided before anything is sent: not while shutting down, and
// not while the sequencer is silent (the cluster cannot commit; 503 beats a request that times out).
// Every submission of the node goes through it — the API's, read barriers and lease revokes alike.
import { ServiceError } from '../api/service-errors.js';
import type { ReplicaSoftState } from '../consensus/types.js';
import type { KvOp, OpResult } from '../store/ops.js';
import type { Clock } from './clock.js';
import type { Submitter } from './submitter.js';

export class SubmissionGate {
  private closed = false;

  constructor(
    private readonly submitter: Submitter,
    private readonly soft: () => ReplicaSoftState,
    private readonly clock: Clock,
    /** No word from the sequencer for this long: the node cannot commit. */
    readonly sequencerSilenceMs: number,
  ) {}

  get isClosed(): boolean {
    return this.closed;
  }

  /** Refuses new work from now on (shutdown); requests in flight are failed by the submitter. */
  close(): void {
    this.closed = true;
  }

  sequencerHeard(): boolean {
    return this.clock.nowMs() - this.soft().lastHeardSequencerMs < this.sequencerSilenceMs;
  }

  submit(op: KvOp, idempotencyKey?: string): Promise<OpResult> {
    if (this.closed) return Promise.reject(new ServiceError('shutting_down', 'this replica is shutting down', 1));
    if (!this.sequencerHeard()) {
      const message = `no word from the sequencer for over ${this.sequencerSilenceMs} ms; the cluster cannot commit`;
      return Promise.reject(new ServiceError('unavailable', message, 1));
    }
    return this.submitter.submit(op, idempotencyKey);
  }
}
