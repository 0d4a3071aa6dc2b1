// Puts the network faults in force: keeps which member hears which (directed blocks, counted so that
// overlapping partitions compose) and the link conditions, renders each member's ingress rules
// (netfilter.ts) and loads them into its namespace in one iptables-legacy-restore, only where they
// changed. Runs the delayer where a delay is in force, started before its rule and stopped after it is
// gone, so no frame is queued to a delayer that is not there. Counts the ORDERED the loss rules dropped.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import {
  BLOCKED_COMMENT,
  CALM,
  DELAY_QUEUE,
  needsDelayer,
  ORDERED_LOST_COMMENT,
  renderIngressRules,
  ruleCount,
  type LinkConditions,
} from './netfilter.js';
import { runIn } from './shell.js';
import type { Member, MemberName } from './topology.js';
import type { Prng } from '../sim/prng.js';

const DELAYER = fileURLToPath(new URL('./nfqueue-delay.py', import.meta.url));
/** Python starts and binds its queue in well under a second; a loaded box gets room. */
const DELAYER_READY_DEADLINE_MS = 10_000;
const DELAYER_STOP_DEADLINE_MS = 5_000;

export interface FaultCounts {
  /** ORDERED datagrams the loss rules dropped (at replicas' ingress: the only place ORDERED arrives). */
  orderedLost: number;
  /** Frames the partition rules dropped. */
  framesBlocked: number;
  /** Frames the delayers held back. */
  framesDelayed: number;
}

function addCounts(into: FaultCounts, more: FaultCounts): void {
  into.orderedLost += more.orderedLost;
  into.framesBlocked += more.framesBlocked;
  into.framesDelayed += more.framesDelayed;
}

interface Delayer {
  child: ChildProcess;
  link: LinkConditions;
  stopping: boolean;
}

export class NetworkFaults {
  private readonly blocks = new Map<string, number>();
  private readonly links: LinkConditions[] = [];
  private readonly loaded = new Map<MemberName, string>();
  private readonly delayers = new Map<MemberName, Delayer>();
  /** What the faults did, summed over rules and delayers already replaced; live ones are added when read. */
  private readonly done: FaultCounts = { orderedLost: 0, framesBlocked: 0, framesDelayed: 0 };
  /** The load in progress (apply), so the next one starts after it. */
  private applying: Promise<void> = Promise.resolve();
  /** Harness parts that failed on their own (a delayer that died): a run with any is not trusted. */
  readonly problems: string[] = [];

  constructor(
    private readonly members: readonly Member[],
    /** Addresses the link conditions spare (the clients'). */
    private readonly spared: readonly string[],
    private readonly prng: Prng,
  ) {}

  /** Drops whatever `from` sends to `to` (one direction), until unblocked as many times. */
  block(from: MemberName, to: MemberName): void {
    const key = `${from}>${to}`;
    this.blocks.set(key, (this.blocks.get(key) ?? 0) + 1);
  }

  unblock(from: MemberName, to: MemberName): void {
    const key = `${from}>${to}`;
    const count = (this.blocks.get(key) ?? 0) - 1;
    if (count <= 0) this.blocks.delete(key);
    else this.blocks.set(key, count);
  }

  /** The newest link conditions win while they last; the ones before come back when they end. */
  pushLink(link: LinkConditions): void {
    this.links.push(link);
  }

  popLink(link: LinkConditions): void {
    const at = this.links.lastIndexOf(link);
    if (at >= 0) this.links.splice(at, 1);
  }

  get link(): LinkConditions {
    return this.links.at(-1) ?? CALM;
  }

  clear(): void {
    this.blocks.clear();
    this.links.length = 0;
  }

  /** What the faults did so far: ORDERED lost, frames a partition dropped, frames the delayers held. */
  async counts(): Promise<FaultCounts> {
    const total = { ...this.done };
    for (const member of this.members) addCounts(total, await this.readRules(member));
    return total;
  }

  /**
   * Loads every member's rules where they changed; starts and stops delayers around them. Calls run one
   * at a time, each from the state as it is when its turn comes: overlapping faults end and start
   * concurrently, and two loads interleaving would start a second delayer on a bound queue.
   */
  apply(): Promise<void> {
    const turn = this.applying.then(() => this.applyNow());
    this.applying = turn.catch(() => undefined);
    return turn;
  }

  private async applyNow(): Promise<void> {
    const link = this.link;
    const wanted = needsDelayer(link);
    await Promise.all(
      this.members.map(async (member) => {
        const running = this.delayers.get(member.name);
        // One queue per namespace, so a delayer with other settings goes before the new one binds; frames
        // pass undelayed meanwhile (--queue-bypass).
        if (running !== undefined && wanted && running.link !== link) await this.stopDelayer(member);
        if (wanted && this.delayers.get(member.name) === undefined) await this.startDelayer(member, link);
        const blockedSources = this.members.filter((from) => this.blocks.has(`${from.name}>${member.name}`)).map((from) => from.address);
        const rules = renderIngressRules({ blockedSources, sparedSources: this.spared, link }, member.address);
        if (this.loaded.get(member.name) !== rules) {
          addCounts(this.done, await this.readRules(member));
          await runIn(member.ns, 'iptables-legacy-restore', [], rules);
          this.loaded.set(member.name, rules);
        }
        if (!wanted && running !== undefined) await this.stopDelayer(member);
      }),
    );
  }

  /** Stops every delayer (their rules must already be gone: apply() after clear()). */
  async close(): Promise<void> {
    await this.applying;
    await Promise.all(this.members.map((member) => this.stopDelayer(member)));
  }

  private async readRules(member: Member): Promise<FaultCounts> {
    if (!this.loaded.has(member.name)) return { orderedLost: 0, framesBlocked: 0, framesDelayed: 0 };
    const saved = (await runIn(member.ns, 'iptables-legacy-save', ['-c', '-t', 'raw'])).stdout;
    return { orderedLost: ruleCount(saved, ORDERED_LOST_COMMENT), framesBlocked: ruleCount(saved, BLOCKED_COMMENT), framesDelayed: 0 };
  }

  private async startDelayer(member: Member, link: LinkConditions): Promise<void> {
    const args = [
      ...['netns', 'exec', member.ns, 'python3', DELAYER, '--queue', String(DELAY_QUEUE)],
      ...['--delay-ms', String(link.delayMs), '--jitter-ms', String(link.jitterMs), '--reorder-rate', String(link.reorderRate)],
      ...['--seed', String(this.prng.nextU32())],
    ];
    const child = spawn('ip', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const delayer: Delayer = { child, link, stopping: false };
    this.delayers.set(member.name, delayer);
    let said = '';
    child.stderr!.on('data', (chunk: Buffer) => (said = `${said}${chunk.toString()}`.slice(-2_000)));
    child.once('exit', (code, signal) => {
      if (!delayer.stopping) this.problems.push(`the delayer in ${member.ns} died (${signal ?? `exit ${code}`}): ${said.trim()}`);
    });
    const lines = createInterface({ input: child.stdout! });
    // Its last words are how many frames it held: evidence that the delay was in force.
    lines.on('line', (line) => {
      const held = /^held (\d+)$/.exec(line);
      if (held !== null) this.done.framesDelayed += Number(held[1]);
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`delayer in ${member.ns} not ready in ${DELAYER_READY_DEADLINE_MS} ms`)),
        DELAYER_READY_DEADLINE_MS,
      );
      lines.once('line', (line) => {
        clearTimeout(timer);
        if (line === 'ready') resolve();
        else reject(new Error(`delayer in ${member.ns} said ${line}`));
      });
      child.once('exit', () => {
        clearTimeout(timer);
        reject(new Error(`delayer in ${member.ns} exited before it was ready: ${said.trim()}`));
      });
    });
  }

  /** SIGTERM: the delayer releases every frame it holds, then exits. */
  private async stopDelayer(member: Member): Promise<void> {
    const delayer = this.delayers.get(member.name);
    if (delayer === undefined) return;
    this.delayers.delete(member.name);
    delayer.stopping = true;
    if (delayer.child.exitCode !== null || delayer.child.signalCode !== null) return;
    // 'close', not 'exit': its last line (the count) has been read by then.
    const exited = once(delayer.child, 'close');
    delayer.child.kill('SIGTERM');
    const forced = setTimeout(() => delayer.child.kill('SIGKILL'), DELAYER_STOP_DEADLINE_MS);
    await exited;
    clearTimeout(forced);
  }
}
