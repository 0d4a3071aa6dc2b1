// The sequencer's options, inputs, outputs and state (docs/design.md §2), and how a fresh one is made.
// A sequencer keeps no durable state and starts with no session: it only serves one a leader gave it.
import assert from 'node:assert/strict';
import { U32_MAX } from '../mrtom/header.js';
import { faultsToleratedOf } from '../mrtom/group.js';
import { createCounters, type SequencerCounters } from './counters.js';
import type { DelayEstimate } from '../lib/delay-estimate.js';
import { CopyRing, type StampedCopies } from './ring.js';

export interface SequencerOptions {
  group: number;
  /** Replica ids in view order: the leader of view v is replicaIds[v % n]. */
  replicaIds: readonly number[];
  /** The largest REQUEST (whole datagram) a submitter may send (the config's datagramBytesMax); a longer
   *  one is dropped as 'oversized' by both data planes, since the XDP one cannot stamp what spans frames. */
  datagramBytesMax: number;
  /** Stamped copies kept for retransmission before the oldest unacked one is dropped. */
  ringCapacity: number;
  /** How long a replica may stay behind a copy before the copy is resent to it: at least this, more for a
   *  replica whose acks are slower (src/lib/delay-estimate.ts), up to retransmitIntervalMsMax. */
  retransmitIntervalMs: number;
  retransmitIntervalMsMax: number;
  /** Idle time after which a HEARTBEAT announces the last stamped seq, so replicas detect tail loss. */
  heartbeatIntervalMs: number;
  /** Copies resent on timeout per tick, across all replicas, so a lagging replica cannot flood the link. */
  resendPerTickMax: number;
  /**
   * Random per process start, never 0, stamped into everything this sequencer sends. A restarted process
   * may be given the same session again (a leader's SESSION_START still in flight); replicas only take
   * the stamps of the one incarnation their leader bound the session to, so the two never mix.
   */
  incarnation: number;
  /**
   * REQUESTs are stamped before they reach this machine, by the XDP program (docs/xdp.md): one that
   * arrives here anyway and is otherwise in order came while the kernel had not yet learnt the session,
   * and stamping it here would race the kernel's seq counter. It is dropped as 'unstampable'.
   */
  kernelStamps?: boolean;
}

export type SequencerInput =
  /** `fromReplica`: the configured replica the source address belongs to, null if unknown. */
  | { kind: 'datagram'; fromReplica: number | null; bytes: Uint8Array; nowMs: number }
  | { kind: 'tick'; nowMs: number }
  /** The end of a burst of datagrams: announce commit if it advanced. */
  | { kind: 'flush'; nowMs: number };

/** `fanOut`: the same datagram goes to every replica (ORDERED, COMMIT, HEARTBEAT), so a runtime with a
 *  multicast group sends it once to the group instead; resends are for one replica only. */
export type SequencerEffect = { kind: 'send'; to: number; bytes: Uint8Array; fanOut: boolean };

export interface SequencerState {
  readonly options: SequencerOptions;
  readonly f: number;
  /** The session being served; 0 until a leader's SESSION_START gives one. */
  session: number;
  /** The view the session was started in; ACKs and RETRANSMITs of any other view are stale. */
  view: number;
  /** Last seq stamped in this session; seqs start at 1. */
  seqLast: number;
  commit: number;
  /** The commit last sent in a COMMIT notice. */
  commitAnnounced: number;
  /** The leader's NO-OP list last sent in a COMMIT notice. */
  leaderNoopsAnnounced: readonly number[];
  stampedLastMs: number;
  heartbeatLastMs: number;
  /** Per replica: "I hold every seq <= through" in the current session. */
  readonly throughs: Map<number, number>;
  /** Per replica: the seqs <= its through it holds as NO-OPs (ascending), from its latest ACK. */
  readonly noops: Map<number, readonly number[]>;
  /** Per replica: when copies were last resent to it on timeout (one burst per retransmit interval). */
  readonly resentMs: Map<number, number>;
  /** Per replica: timeout resends since its `through` last advanced; each doubles the wait for the next
   *  (resend.ts), so a replica cut off is not sent the whole ring every interval. */
  readonly resendsUnanswered: Map<number, number>;
  /** Per replica: how long its acks take (the age of the copy an advancing `through` covers); absent before the first sample. */
  readonly ackDelays: Map<number, DelayEstimate>;
  readonly ring: StampedCopies;
  /** Which replica the next tick's resend budget starts with, so one laggard cannot starve the others. */
  resendRotor: number;
  readonly counters: SequencerCounters;
}

/** `ring`: where stamped copies are kept; by default in memory, with the XDP plane in the kernel. */
export function createSequencer(options: SequencerOptions, ring: StampedCopies = new CopyRing(options.ringCapacity)): SequencerState {
  const { group, replicaIds } = options;
  assert.ok(Number.isInteger(group) && group >= 0 && group <= U32_MAX, `group must be a u32, got ${group}`);
  assert.ok(replicaIds.length >= 1, 'at least one replica is required');
  assert.equal(new Set(replicaIds).size, replicaIds.length, 'replica ids must be unique');
  assert.ok(options.retransmitIntervalMs > 0, 'retransmitIntervalMs must be positive');
  assert.ok(options.retransmitIntervalMsMax >= options.retransmitIntervalMs, 'retransmitIntervalMsMax must be >= retransmitIntervalMs');
  assert.ok(options.heartbeatIntervalMs > 0, 'heartbeatIntervalMs must be positive');
  assert.ok(Number.isInteger(options.resendPerTickMax) && options.resendPerTickMax >= 1, 'resendPerTickMax must be >= 1');
  assert.ok(
    Number.isInteger(options.incarnation) && options.incarnation >= 1 && options.incarnation <= U32_MAX,
    'incarnation must be a nonzero u32',
  );
  return {
    options: { ...options, replicaIds: [...replicaIds] },
    f: faultsToleratedOf(replicaIds.length),
    session: 0,
    view: 0,
    seqLast: 0,
    commit: 0,
    commitAnnounced: 0,
    leaderNoopsAnnounced: [],
    stampedLastMs: -Infinity,
    heartbeatLastMs: -Infinity,
    throughs: new Map(replicaIds.map((id) => [id, 0])),
    noops: new Map(),
    resentMs: new Map(replicaIds.map((id) => [id, -Infinity])),
    resendsUnanswered: new Map(),
    ackDelays: new Map(),
    ring,
    resendRotor: 0,
    counters: createCounters(),
  };
}
