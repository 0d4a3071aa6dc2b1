// Starts and ends faults (faults.ts) on the running cluster: resolves role targets through the replicas'
// own status at the moment a fault starts, puts it in force (network-faults.ts for the network, the
// member processes for kills and pauses), and logs one line per event. Ending a fault undoes exactly
// what starting it did, on the members it was resolved to, even if the roles have moved since.
import type { Prng } from '../sim/prng.js';
import type { Roles } from './cluster-view.js';
import { describeFault, type Fault, type ScheduledFault, type Target } from './faults.js';
import type { NetworkFaults } from './network-faults.js';
import type { MemberProcesses } from './processes.js';
import type { MemberName } from './topology.js';

export interface NemesisDeps {
  members: readonly MemberName[];
  network: NetworkFaults;
  processes: MemberProcesses;
  roles: () => Promise<Roles | null>;
  prng: Prng;
  /** One line per fault event, for the run's output. */
  log: (line: string) => void;
}

export interface ActiveFault {
  fault: Fault;
  /** The members the targets resolved to. */
  members: MemberName[];
  end(): Promise<void>;
}

export class Nemesis {
  private readonly active = new Set<ActiveFault>();

  constructor(private readonly deps: NemesisDeps) {}

  /** Starts `fault`; null when a target could not be resolved (no replica answered), logged as skipped. */
  async start(fault: Fault): Promise<ActiveFault | null> {
    const targets = fault.kind === 'kill' ? fault.targets : fault.kind === 'link' ? [] : [fault.target];
    const members = await this.resolve(targets);
    if (members === null) {
      this.deps.log(`skip ${describeFault(fault)}: no replica answered to tell the roles`);
      return null;
    }
    const undo = await this.perform(fault, members);
    const active: ActiveFault = {
      fault,
      members,
      end: async () => {
        if (!this.active.delete(active)) return;
        await undo();
        this.deps.log(`heal ${describeFault(fault)}${members.length > 0 ? ` (${members.join(', ')})` : ''}`);
      },
    };
    this.active.add(active);
    this.deps.log(`start ${describeFault(fault)}${members.length > 0 ? ` → ${members.join(', ')}` : ''}`);
    return active;
  }

  /** Ends every fault still in force, newest first. */
  async healAll(): Promise<void> {
    for (const active of [...this.active].reverse()) await active.end();
  }

  /** Runs a schedule against the clock: each fault starts at its time and ends after its duration. */
  async runSchedule(schedule: readonly ScheduledFault[], nowMs: () => number, signal: AbortSignal): Promise<void> {
    await Promise.all(
      schedule.map(async (item) => {
        if (!(await delay(item.atMs - nowMs(), signal))) return;
        const active = await this.start(item.fault);
        if (active === null) return;
        await delay(item.durationMs, signal);
        await active.end();
      }),
    );
  }

  private async resolve(targets: readonly Target[]): Promise<MemberName[] | null> {
    if (targets.every((t) => this.deps.members.includes(t as MemberName))) return targets as MemberName[];
    const roles = await this.deps.roles();
    if (roles === null) return null;
    return targets.map((target) => {
      switch (target) {
        case 'leader':
          return roles.leader;
        case 'follower':
          return this.deps.prng.pick(roles.followers);
        case 'serving-sequencer':
          return roles.servingSequencer;
        case 'standby-sequencer':
          return this.deps.prng.pick(roles.standbySequencers);
        default:
          return target;
      }
    });
  }

  /** Puts the fault in force on `members`; returns its undo. */
  private async perform(fault: Fault, members: MemberName[]): Promise<() => Promise<void>> {
    const { network, processes } = this.deps;
    const others = (name: MemberName) => this.deps.members.filter((m) => m !== name);
    const blocking = async (pairs: Array<[MemberName, MemberName]>) => {
      for (const [from, to] of pairs) network.block(from, to);
      await network.apply();
      return async () => {
        for (const [from, to] of pairs) network.unblock(from, to);
        await network.apply();
      };
    };
    switch (fault.kind) {
      case 'link': {
        network.pushLink(fault.link);
        await network.apply();
        return async () => {
          network.popLink(fault.link);
          await network.apply();
        };
      }
      case 'isolate': {
        const [target] = members as [MemberName];
        return blocking(
          others(target).flatMap((other): Array<[MemberName, MemberName]> => [
            [target, other],
            [other, target],
          ]),
        );
      }
      case 'one-way': {
        const [target] = members as [MemberName];
        return blocking(
          others(target).map((other): [MemberName, MemberName] => (fault.direction === 'outbound' ? [target, other] : [other, target])),
        );
      }
      case 'kill': {
        await Promise.all(members.map((name) => processes.kill(name)));
        return async () => {
          // An overlapping kill of the same member may have restarted it already.
          for (const name of members) if (!processes.isUp(name)) processes.start(name);
        };
      }
      case 'pause': {
        const [target] = members as [MemberName];
        processes.pause(target);
        return async () => processes.resume(target);
      }
    }
  }
}

/** Waits `ms` (the schedule's own timing, not a synchronisation); false if the run was aborted first. */
function delay(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const timer = setTimeout(
      () => {
        signal.removeEventListener('abort', onAbort);
        resolve(true);
      },
      Math.max(0, ms),
    );
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
