// Keeps child processes running: starts each one, restarts it with exponential backoff when it dies,
// and stops them all (SIGTERM, then SIGKILL after a grace period) on request.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import type { Logger } from 'pino';

export interface ChildSpec {
  name: string;
  args: string[];
  logFile: string;
}

const RESTART_DELAY_MS_MIN = 250;
const RESTART_DELAY_MS_MAX = 10_000;
/** A child that stayed up this long is healthy again: its backoff starts over. */
const STABLE_RUN_MS = 10_000;
const STOP_GRACE_MS = 10_000;

interface Supervised {
  spec: ChildSpec;
  child: ChildProcess | null;
  log: WriteStream;
  restarts: number;
  startedAtMs: number;
  restartTimer: NodeJS.Timeout | null;
}

export class Supervisor {
  private readonly children: Supervised[] = [];
  private stopping = false;

  constructor(
    private readonly command: string,
    private readonly logger: Logger,
  ) {}

  start(spec: ChildSpec): void {
    const entry: Supervised = {
      spec,
      child: null,
      log: createWriteStream(spec.logFile, { flags: 'a' }),
      restarts: 0,
      startedAtMs: 0,
      restartTimer: null,
    };
    this.children.push(entry);
    this.launch(entry);
  }

  private launch(entry: Supervised): void {
    const child = spawn(this.command, entry.spec.args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.pipe(entry.log, { end: false });
    child.stderr?.pipe(entry.log, { end: false });
    entry.child = child;
    entry.startedAtMs = Date.now();
    this.logger.info({ child: entry.spec.name, pid: child.pid, log: entry.spec.logFile }, 'started');
    child.once('exit', (code, signal) => this.onExit(entry, code, signal));
  }

  private onExit(entry: Supervised, code: number | null, signal: NodeJS.Signals | null): void {
    entry.child = null;
    if (this.stopping) return;
    if (Date.now() - entry.startedAtMs >= STABLE_RUN_MS) entry.restarts = 0;
    const delayMs = Math.min(RESTART_DELAY_MS_MAX, RESTART_DELAY_MS_MIN * 2 ** entry.restarts);
    entry.restarts += 1;
    this.logger.warn({ child: entry.spec.name, code, signal, restartInMs: delayMs, restarts: entry.restarts }, 'child exited; restarting');
    entry.restartTimer = setTimeout(() => {
      entry.restartTimer = null;
      if (!this.stopping) this.launch(entry);
    }, delayMs);
  }

  async stopAll(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.children.map((entry) => this.stop(entry)));
  }

  private async stop(entry: Supervised): Promise<void> {
    if (entry.restartTimer) clearTimeout(entry.restartTimer);
    const child = entry.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const killTimer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(killTimer);
      this.logger.info({ child: entry.spec.name }, 'stopped');
    }
    await new Promise<void>((resolve) => entry.log.end(resolve));
  }
}
