// The KvService (src/api/service.ts) of one replica process: what the HTTP API — and the simulator's
// workload, which calls it exactly as the routes do — uses. Writes go through the submission gate;
// linearizable reads wait for a batched read barrier.
import type { KvService, LocalReads, NodeHealth, NodeStatus, PeerStatus } from '../api/service.js';
import type { ReplicaSoftState } from '../consensus/types.js';
import type { KvOp, OpResult } from '../store/ops.js';
import type { AppliedSignal } from './applied-signal.js';
import type { ReadBarrier } from './read-barrier.js';
import type { SubmissionGate } from './submission-gate.js';

export interface ReplicaServiceParts {
  soft(): ReplicaSoftState;
  gate: SubmissionGate;
  readBarrier: ReadBarrier;
  reads: LocalReads;
  leaseRemainingMs(lease: number): Promise<number | null>;
  appliedSignal: AppliedSignal;
  revision(): number;
  peers(): Promise<PeerStatus[]>;
}

export class ReplicaService implements KvService {
  constructor(private readonly parts: ReplicaServiceParts) {}

  get local(): LocalReads {
    return this.parts.reads;
  }

  leaseRemainingMs(lease: number): Promise<number | null> {
    return this.parts.leaseRemainingMs(lease);
  }

  submit(op: KvOp, idempotencyKey?: string): Promise<OpResult> {
    return this.parts.gate.submit(op, idempotencyKey);
  }

  barrier(): Promise<void> {
    return this.parts.readBarrier.wait();
  }

  onApplied(listener: () => void): () => void {
    return this.parts.appliedSignal.subscribe(listener);
  }

  health(): NodeHealth {
    const { gate } = this.parts;
    const soft = this.parts.soft();
    const checks = [
      { name: 'store', ok: !gate.isClosed, detail: gate.isClosed ? 'closing' : 'open' },
      { name: 'sequencer', ok: gate.sequencerHeard(), detail: `sequencer ${soft.sequencerId}, session ${soft.session}` },
      {
        name: 'caught-up',
        ok: soft.caughtUp,
        detail: `status ${soft.status}, view ${soft.view}, applied ${soft.applied}, commit ${soft.commit}, through ${soft.through}`,
      },
    ];
    return { ready: checks.every((c) => c.ok), checks };
  }

  async status(): Promise<NodeStatus> {
    const soft = this.parts.soft();
    return {
      id: soft.id,
      status: soft.status,
      view: soft.view,
      session: soft.session,
      sequencerId: soft.sequencerId,
      commitSlot: soft.commit,
      appliedSlot: soft.applied,
      revision: this.parts.revision(),
      peers: await this.parts.peers(),
    };
  }
}
