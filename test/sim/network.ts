// The simulated datagram network: per datagram loss, duplication and random latency (which reorders),
// and directed partitions (a one-way partition blocks a→b but not b→a). Conditions change over a run as
// the fault plan says; every choice comes from the network's own PRNG stream.
import type { Prng } from './prng.js';
import type { Scheduler } from './scheduler.js';
import { describeDatagram, type Tracer } from './trace.js';

/** A node's network name: `r<id>` for a replica node (and the submitters it hosts), `s<id>` for a sequencer. */
export type NodeName = `r${number}` | `s${number}`;

export interface LinkConditions {
  lossRate: number;
  duplicateRate: number;
  latencyMsMin: number;
  latencyMsMax: number;
}

/**
 * Datagrams in flight at once. A correct protocol under the simulator's load stays far below this; hitting
 * it means a message storm, which is reported as a failure instead of letting the run grow without bound.
 */
export const DATAGRAMS_IN_FLIGHT_MAX = 100_000;

export type DeliverFn = (to: NodeName, from: NodeName, bytes: Uint8Array) => void;

/** Says which datagrams a targeted fault swallows (every copy, retransmissions included). */
export type DropFilter = (from: NodeName, to: NodeName, bytes: Uint8Array) => boolean;

export class Network {
  private conditions: LinkConditions;
  /** Directed links cut, with how many partitions cut each (partitions may overlap). */
  private readonly blocked = new Map<string, number>();
  private dropFilter: DropFilter | null = null;
  private inFlight = 0;
  /** Counts for the run summary. */
  readonly stats = { sent: 0, delivered: 0, lost: 0, blocked: 0, filtered: 0, duplicated: 0 };

  constructor(
    private readonly scheduler: Scheduler,
    private readonly prng: Prng,
    private readonly tracer: Tracer,
    private readonly deliver: DeliverFn,
    initial: LinkConditions,
  ) {
    this.conditions = { ...initial };
  }

  setConditions(conditions: LinkConditions): void {
    if (conditions.latencyMsMax < conditions.latencyMsMin) throw new RangeError('latencyMsMax below latencyMsMin');
    this.conditions = { ...conditions };
  }

  /** Blocks datagrams from `from` to `to` (one direction only). */
  block(from: NodeName, to: NodeName): void {
    const key = linkKey(from, to);
    this.blocked.set(key, (this.blocked.get(key) ?? 0) + 1);
  }

  /** Undoes one block of the link; it carries traffic again once no partition cuts it. */
  unblock(from: NodeName, to: NodeName): void {
    const key = linkKey(from, to);
    const count = this.blocked.get(key);
    if (count === undefined) throw new Error(`link ${key} is not blocked`);
    if (count === 1) this.blocked.delete(key);
    else this.blocked.set(key, count - 1);
  }

  /** Whether a partition cuts datagrams (and connections) from `from` to `to` right now. */
  isCut(from: NodeName, to: NodeName): boolean {
    return this.blocked.has(linkKey(from, to));
  }

  setDropFilter(filter: DropFilter | null): void {
    this.dropFilter = filter;
  }

  send(from: NodeName, to: NodeName, bytes: Uint8Array): void {
    this.stats.sent += 1;
    if (this.blocked.has(linkKey(from, to))) {
      this.stats.blocked += 1;
      this.tracer.event(this.scheduler.nowMs, from, () => `--x ${to} ${describeDatagram(bytes)} (partitioned)`);
      return;
    }
    if (this.dropFilter?.(from, to, bytes) === true) {
      this.stats.filtered += 1;
      this.tracer.event(this.scheduler.nowMs, from, () => `--x ${to} ${describeDatagram(bytes)} (blackholed)`);
      return;
    }
    if (this.prng.chance(this.conditions.lossRate)) {
      this.stats.lost += 1;
      this.tracer.event(this.scheduler.nowMs, from, () => `--x ${to} ${describeDatagram(bytes)} (lost)`);
      return;
    }
    const copies = this.prng.chance(this.conditions.duplicateRate) ? 2 : 1;
    if (copies === 2) this.stats.duplicated += 1;
    for (let i = 0; i < copies; i += 1) this.schedule(from, to, bytes);
  }

  private schedule(from: NodeName, to: NodeName, bytes: Uint8Array): void {
    if (this.inFlight >= DATAGRAMS_IN_FLIGHT_MAX) {
      throw new Error(`network flooded: ${DATAGRAMS_IN_FLIGHT_MAX} datagrams in flight (sending ${describeDatagram(bytes)} ${from}→${to})`);
    }
    this.inFlight += 1;
    // Each receiver gets its own buffer, as with real sockets: no node can see another's mutations.
    const copy = bytes.slice();
    const latencyMs = this.prng.between(this.conditions.latencyMsMin, this.conditions.latencyMsMax);
    this.scheduler.after(latencyMs, () => {
      this.inFlight -= 1;
      this.stats.delivered += 1;
      this.deliver(to, from, copy);
    });
  }
}

function linkKey(from: NodeName, to: NodeName): string {
  return `${from}>${to}`;
}
