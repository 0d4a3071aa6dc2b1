// The cluster's OS processes: each sequencer and replica is the compiled CLI (`node dist/cli/main.js
// sequencer|replica --config cluster.json --id N`, as the product ships) started inside its member's
// namespace. Tracks every incarnation, tells the nemesis's kills and pauses from crashes (an exit nobody
// asked for is recorded as unexpected), and stops everything at the end, checking each exit.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readLogLines, PINO_LEVEL } from '../integration/harness/process-log.js';
import type { Member, MemberName } from './topology.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(REPO, 'dist/cli/main.js');
/** Revisions of watch history each replica keeps: more than any run writes (the default keeps 10,000). */
const WATCH_HISTORY_REVISIONS = 1_000_000;
/** A replica's graceful stop answers waiting callers and closes LevelDB; more than this is a hang. */
const STOP_GRACE_MS = 15_000;

export interface ExitRecord {
  name: MemberName;
  incarnation: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** What the harness asked for: a kill -9, a graceful stop at the end, or nothing (a crash). */
  cause: 'nemesis' | 'stop' | 'none';
}

interface Running {
  child: ChildProcess;
  incarnation: number;
  cause: ExitRecord['cause'];
  paused: boolean;
  exited: Promise<void>;
}

/** Fails when dist/ is older than src/: the harness would test code that is not what the tree says. */
export function assertBuildFresh(): void {
  const built = join(REPO, 'dist/.tsbuildinfo');
  if (!existsSync(built)) throw new Error('dist/ is not built: run npm run build');
  const src = join(REPO, 'src');
  const newestSourceMs = Math.max(
    ...readdirSync(src, { recursive: true, encoding: 'utf8' }).map((path) => statSync(join(src, path)).mtimeMs),
  );
  if (newestSourceMs > statSync(built).mtimeMs) throw new Error('dist/ is older than src/: run npm run build');
}

/** Builds the XDP data plane (dist/xdp/), which `--dataplane xdp` loads; it takes a second or two. */
export function buildXdp(): void {
  execFileSync('sh', [join(REPO, 'src/sequencer/xdp/build.sh')], { stdio: ['ignore', 'inherit', 'inherit'] });
}

export class MemberProcesses {
  private readonly running = new Map<MemberName, Running>();
  private readonly incarnations = new Map<MemberName, number>();
  readonly exits: ExitRecord[] = [];
  /** Log lines already looked at, per member, so a cluster shared by scenarios reports each fatal line once. */
  private readonly linesJudged = new Map<MemberName, number>();

  constructor(
    private readonly members: readonly Member[],
    private readonly runDir: string,
    private readonly configPath: string,
    private readonly logLevel: string,
    /** Extra flags of every sequencer (its data plane). */
    private readonly sequencerFlags: readonly string[] = [],
  ) {}

  logPathOf(name: MemberName): string {
    return join(this.runDir, `${name}.log`);
  }

  incarnationOf(name: MemberName): number {
    return this.incarnations.get(name) ?? 0;
  }

  isUp(name: MemberName): boolean {
    return this.running.has(name);
  }

  start(name: MemberName): void {
    if (this.running.has(name)) throw new Error(`${name} is already running`);
    const member = this.members.find((m) => m.name === name)!;
    const incarnation = this.incarnationOf(name) + 1;
    this.incarnations.set(name, incarnation);
    // Straight into the file: the harness's event loop never carries the processes' output.
    const log = openSync(this.logPathOf(name), 'a');
    const args = ['netns', 'exec', member.ns, process.execPath, CLI, member.kind, '--config', this.configPath, '--id', String(member.id)];
    // The lost-write check reads the whole run's change log back from the replicated watch history.
    if (member.kind === 'replica') args.push('--watch-history-revisions', String(WATCH_HISTORY_REVISIONS));
    else args.push(...this.sequencerFlags);
    // `ip netns exec` enters the namespace and execs node, so the child's pid is the node process itself.
    const child = spawn('ip', [...args, '--log-level', this.logLevel], { stdio: ['ignore', log, log], detached: true });
    closeSync(log);
    const entry: Running = { child, incarnation, cause: 'none', paused: false, exited: Promise.resolve() };
    entry.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exits.push({ name, incarnation, code, signal, cause: entry.cause });
        if (this.running.get(name) === entry) this.running.delete(name);
        resolve();
      });
    });
    this.running.set(name, entry);
  }

  /** kill -9, as the nemesis does it; resolves once the process is gone. */
  async kill(name: MemberName): Promise<void> {
    const entry = this.running.get(name);
    if (entry === undefined) return;
    entry.cause = 'nemesis';
    entry.child.kill('SIGKILL');
    await entry.exited;
  }

  pause(name: MemberName): void {
    const entry = this.running.get(name);
    if (entry === undefined || entry.paused) return;
    entry.child.kill('SIGSTOP');
    entry.paused = true;
  }

  resume(name: MemberName): void {
    const entry = this.running.get(name);
    if (entry === undefined || !entry.paused) return;
    entry.child.kill('SIGCONT');
    entry.paused = false;
  }

  /** Stops every process with SIGTERM (a paused one is woken first) and waits for all of them. */
  async stopAll(): Promise<void> {
    await Promise.all(
      [...this.running.values()].map(async (entry) => {
        entry.cause = 'stop';
        if (entry.paused) entry.child.kill('SIGCONT');
        entry.child.kill('SIGTERM');
        const forced = setTimeout(() => entry.child.kill('SIGKILL'), STOP_GRACE_MS);
        await entry.exited;
        clearTimeout(forced);
      }),
    );
  }

  /**
   * Every way a process ended, from exit `from` on, that the nemesis did not cause: an exit while
   * running, a graceful stop that did not exit 0 (or had to be forced); and every fatal log line not
   * looked at before.
   * Described, one per problem.
   */
  async crashes(from = 0): Promise<string[]> {
    const problems: string[] = [];
    for (const exit of this.exits.slice(from)) {
      if (exit.cause === 'nemesis') continue;
      const how = exit.signal === null ? `exit code ${exit.code}` : `signal ${exit.signal}`;
      if (exit.cause === 'none') problems.push(`${exit.name} (incarnation ${exit.incarnation}) died on its own: ${how}`);
      else if (exit.code !== 0) problems.push(`${exit.name} (incarnation ${exit.incarnation}) did not stop cleanly: ${how}`);
    }
    for (const member of this.members) {
      const path = this.logPathOf(member.name);
      if (!existsSync(path)) continue;
      const lines = await readLogLines(path);
      const fresh = lines.slice(this.linesJudged.get(member.name) ?? 0);
      this.linesJudged.set(member.name, lines.length);
      for (const line of fresh) if (line.level >= PINO_LEVEL.fatal) problems.push(`${member.name} logged fatal: ${line.msg}`);
    }
    return problems;
  }
}
