// Fault schedules, generated per seed (Jepsen's "nemesis", docs/background.md §4.3): a few windows of
// degraded network (loss, duplication, latency spread that reorders), partitions (a node cut off both
// ways, one-way links, a minority split), and crashes with restarts of replicas and sequencers. Every
// fault ends by `quietStartMs`; after it the network is calm, every link is healed and every node is up,
// so the liveness check can demand progress.
import type { Durability } from '../../src/config/cluster.js';
import type { LinkConditions, NodeName } from './network.js';
import type { Prng } from './prng.js';

export type FaultAction =
  | { atMs: number; kind: 'network'; conditions: LinkConditions }
  | { atMs: number; kind: 'partition'; links: Array<[NodeName, NodeName]>; label: string }
  /** Ends the partition with the same links. */
  | { atMs: number; kind: 'heal'; links: Array<[NodeName, NodeName]>; label: string }
  /**
   * Until the end, every copy of chosen ORDERED to the targets is lost: in each session, the seqs these
   * offsets past the first seq of that session seen after the start. Windows never overlap.
   */
  | { atMs: number; kind: 'blackhole'; offsets: number[]; targets: NodeName[] }
  | { atMs: number; kind: 'blackhole-end' }
  | { atMs: number; kind: 'crash'; node: NodeName }
  | { atMs: number; kind: 'restart'; node: NodeName };

export interface FaultPlan {
  /** Sorted by time. */
  actions: FaultAction[];
  quietStartMs: number;
}

export interface FaultShape {
  replicaIds: readonly number[];
  sequencerIds: readonly number[];
  durability: Durability;
  calm: LinkConditions;
  quietStartMs: number;
  /** The leader's gap-agreement timeout: blackhole windows are sized around it. */
  gapNoopTimeoutMs: number;
}

/** Upper bounds of a degraded-network window. Loss up to 20 % is the range docs/background.md G1 names. */
export const LOSS_RATE_MAX = 0.2;
export const DUPLICATE_RATE_MAX = 0.05;
export const LATENCY_MS_SPREAD_MAX = 25;

export const NETWORK_WINDOWS_MAX = 4;
export const PARTITIONS_MAX = 2;
export const CRASHES_MAX = 3;
/** Chance of each further window in which chosen ORDERED seqs never arrive (NOPaxos's gap scenarios). */
export const BLACKHOLE_CHANCE = 0.5;
export const BLACKHOLE_WINDOWS_MAX = 3;
/** Blackholed seqs lie at most this far past the first seq seen, so the workload soon reaches them. */
export const BLACKHOLE_OFFSET_MAX = 10;
export const DOWNTIME_MS_MIN = 20;
export const DOWNTIME_MS_MAX = 800;

/**
 * With async or memory durability a restarted replica has lost data until it recovers from its peers; the
 * fault model allows at most one such replica at a time (at most f without their data), so a replica
 * crash starts at least this long after the previous replica restart.
 */
export const AMNESIA_RECOVERY_MS = 800;

export function generateFaultPlan(prng: Prng, shape: FaultShape): FaultPlan {
  const actions: FaultAction[] = [
    ...networkWindows(prng, shape),
    ...partitions(prng, shape),
    ...crashes(prng, shape),
    ...blackholes(prng, shape),
  ];
  for (const action of actions) {
    if (action.atMs > shape.quietStartMs)
      throw new Error(`fault action ${action.kind} at ${action.atMs} ms is after quiet start ${shape.quietStartMs} ms`);
  }
  // Stable sort: actions at the same time keep their generation order (a window's end before the next start).
  actions.sort((a, b) => a.atMs - b.atMs);
  return { actions, quietStartMs: shape.quietStartMs };
}

/** Sequential windows over [0, quietStart): each one degraded or calm, the last one ended by calm. */
function networkWindows(prng: Prng, shape: FaultShape): FaultAction[] {
  const count = prng.int(0, NETWORK_WINDOWS_MAX);
  const actions: FaultAction[] = [];
  for (let i = 0; i < count; i += 1) {
    const startMs = prng.between(0, shape.quietStartMs);
    const endMs = prng.between(startMs, shape.quietStartMs);
    const spreadMs = prng.chance(0.5) ? prng.between(0, LATENCY_MS_SPREAD_MAX) : 0;
    const conditions: LinkConditions = {
      lossRate: prng.chance(0.7) ? prng.between(0, LOSS_RATE_MAX) : 0,
      duplicateRate: prng.chance(0.5) ? prng.between(0, DUPLICATE_RATE_MAX) : 0,
      latencyMsMin: shape.calm.latencyMsMin,
      latencyMsMax: shape.calm.latencyMsMax + spreadMs,
    };
    actions.push({ atMs: startMs, kind: 'network', conditions }, { atMs: endMs, kind: 'network', conditions: shape.calm });
  }
  // Overlapping windows would end each other early; generation order breaks ties, and a final calm restores.
  if (count > 0) actions.push({ atMs: shape.quietStartMs, kind: 'network', conditions: shape.calm });
  return actions;
}

function partitions(prng: Prng, shape: FaultShape): FaultAction[] {
  const replicas: NodeName[] = shape.replicaIds.map((id) => `r${id}` as const);
  const sequencers: NodeName[] = shape.sequencerIds.map((id) => `s${id}` as const);
  const nodes = [...replicas, ...sequencers];
  const count = prng.int(0, PARTITIONS_MAX);
  const actions: FaultAction[] = [];
  // Partitions follow one another over the fault period, each healed before the next starts.
  let cursorMs = 0;
  for (let i = 0; i < count; i += 1) {
    const startMs = prng.between(cursorMs, shape.quietStartMs);
    const endMs = prng.between(startMs, shape.quietStartMs);
    cursorMs = endMs;
    const kind = prng.int(0, 2);
    let links: Array<[NodeName, NodeName]>;
    let label: string;
    if (kind === 0) {
      const node = prng.pick(nodes);
      links = nodes
        .filter((other) => other !== node)
        .flatMap((other): Array<[NodeName, NodeName]> => [
          [node, other],
          [other, node],
        ]);
      label = `isolate ${node}`;
    } else if (kind === 1) {
      const from = prng.pick(nodes);
      const to = prng.pick(nodes.filter((other) => other !== from));
      links = [[from, to]];
      label = `one-way ${from}->${to}`;
    } else {
      // A minority of replicas, and maybe a sequencer, on one side.
      const minority = shuffled(prng, replicas).slice(0, Math.floor(replicas.length / 2));
      if (prng.chance(0.5)) minority.push(prng.pick(sequencers));
      const majority = nodes.filter((node) => !minority.includes(node));
      links = minority.flatMap((a) =>
        majority.flatMap((b): Array<[NodeName, NodeName]> => [
          [a, b],
          [b, a],
        ]),
      );
      label = `split {${minority.join(',')}} | {${majority.join(',')}}`;
    }
    actions.push({ atMs: startMs, kind: 'partition', links, label }, { atMs: endMs, kind: 'heal', links, label });
  }
  return actions;
}

function crashes(prng: Prng, shape: FaultShape): FaultAction[] {
  const replicas: NodeName[] = shape.replicaIds.map((id) => `r${id}` as const);
  const sequencers: NodeName[] = shape.sequencerIds.map((id) => `s${id}` as const);
  const amnesiac = shape.durability !== 'fsync';
  const count = prng.int(0, CRASHES_MAX);
  const planned: Array<{ node: NodeName; startMs: number; endMs: number }> = [];
  for (let i = 0; i < count; i += 1) {
    const node = prng.chance(0.35) ? prng.pick(sequencers) : prng.pick(replicas);
    const startMs = prng.between(0, shape.quietStartMs - DOWNTIME_MS_MIN);
    const endMs = Math.min(shape.quietStartMs, startMs + prng.between(DOWNTIME_MS_MIN, DOWNTIME_MS_MAX));
    const clash = planned.some((other) => {
      if (other.node === node) return other.startMs < endMs && startMs < other.endMs;
      if (!amnesiac || !node.startsWith('r') || !other.node.startsWith('r')) return false;
      return other.startMs < endMs + AMNESIA_RECOVERY_MS && startMs < other.endMs + AMNESIA_RECOVERY_MS;
    });
    if (!clash) planned.push({ node, startMs, endMs });
  }
  return planned.flatMap(({ node, startMs, endMs }): FaultAction[] => [
    { atMs: startMs, kind: 'crash', node },
    { atMs: endMs, kind: 'restart', node },
  ]);
}

/**
 * The reference suite's gap scenarios (docs/background.md §1.9), one window after another: a seq or
 * two whose ORDERED never reaches some replicas however often the sequencer resends — all of them
 * (CommittedGap), or a few (ReplicaGap, LeaderGap when the leader is among them). Only peers or gap
 * agreement can fill the slot; the window lasts about as long as gap agreement takes, so the real
 * request often arrives late and races the NO-OP. Two sharper variants:
 *   - gap race: the replicas that do get the request are cut off from the others, so they cannot hand
 *     it over, and a leader that lacks it NO-OPs a slot they hold;
 *   - starved: soon after the gap opens, the sequencers' datagrams to the replicas missing the slot stop
 *     (one-way), so those replicas stop learning the commit point while their own ACKs still count.
 */
function blackholes(prng: Prng, shape: FaultShape): FaultAction[] {
  const replicas: NodeName[] = shape.replicaIds.map((id) => `r${id}` as const);
  const sequencers: NodeName[] = shape.sequencerIds.map((id) => `s${id}` as const);
  const actions: FaultAction[] = [];
  let cursorMs = 0;
  for (let window = 0; window < BLACKHOLE_WINDOWS_MAX && prng.chance(BLACKHOLE_CHANCE); window += 1) {
    const first = prng.int(1, BLACKHOLE_OFFSET_MAX);
    const offsets = prng.chance(0.5) ? [first] : [first, prng.chance(0.5) ? first + 1 : prng.int(1, BLACKHOLE_OFFSET_MAX)];
    const targets = shuffled(prng, replicas).slice(0, prng.int(1, replicas.length));
    const startMs = prng.between(cursorMs, cursorMs + (shape.quietStartMs - cursorMs) / 2);
    const endMs = Math.min(shape.quietStartMs, startMs + prng.between(0.5, 3) * shape.gapNoopTimeoutMs);
    cursorMs = endMs;
    actions.push({ atMs: startMs, kind: 'blackhole', offsets, targets }, { atMs: endMs, kind: 'blackhole-end' });
    const holders = replicas.filter((replica) => !targets.includes(replica));
    const variant = prng.int(0, 2);
    let links: Array<[NodeName, NodeName]> = [];
    let label = '';
    let cutMs = startMs;
    if (variant === 1 && holders.length > 0) {
      links = holders.flatMap((a) =>
        targets.flatMap((b): Array<[NodeName, NodeName]> => [
          [a, b],
          [b, a],
        ]),
      );
      label = `gap race {${holders.join(',')}} | {${targets.join(',')}} (replica links only)`;
    } else if (variant === 2) {
      links = sequencers.flatMap((a) => targets.map((b): [NodeName, NodeName] => [a, b]));
      label = `starve ${targets.join(',')} of sequencer datagrams (one-way)`;
      cutMs = Math.min(endMs, startMs + prng.between(0, shape.gapNoopTimeoutMs / 2));
    }
    if (links.length > 0) actions.push({ atMs: cutMs, kind: 'partition', links, label }, { atMs: endMs, kind: 'heal', links, label });
  }
  return actions;
}

function shuffled<T>(prng: Prng, items: readonly T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i -= 1) {
    const j = prng.int(0, i);
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

export function describeAction(action: FaultAction): string {
  switch (action.kind) {
    case 'network': {
      const c = action.conditions;
      return `network loss=${(c.lossRate * 100).toFixed(1)}% dup=${(c.duplicateRate * 100).toFixed(1)}% latency=${c.latencyMsMin.toFixed(1)}–${c.latencyMsMax.toFixed(1)} ms`;
    }
    case 'partition':
      return `partition ${action.label}`;
    case 'heal':
      return `heal ${action.label}`;
    case 'blackhole':
      return `blackhole ORDERED at +${action.offsets.join(',+')} past the next seq seen, to ${action.targets.join(',')}`;
    case 'blackhole-end':
      return 'blackhole ends';
    case 'crash':
      return `crash ${action.node}`;
    case 'restart':
      return `restart ${action.node}`;
  }
}
