// Starts and stops the processes under test. Each child leads its own process group, so a
// target that forks helpers (the dev cluster's replicas and sequencer) can still be cleaned up
// as a whole if it does not exit on SIGTERM by itself.
import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';

// Enough of a child's output to explain why it failed to start, without holding a long log.
const logTailBytesMax = 8 * 1024;
// A clean shutdown flushes LevelDB and closes sockets; this is generous for that.
const stopGraceMs = 10_000;
// Survivors in the group after the leader exits get this long after SIGTERM before SIGKILL.
const groupGraceMs = 3_000;
const groupPollIntervalMs = 50;

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Child {
  name: string;
  process: ChildProcess;
  exited: Promise<Exit>;
  logTail(): string;
}

// Children still running, so that an interrupted benchmark does not leave servers behind.
const live = new Set<Child>();

export interface ChildOptions {
  // A message channel to the child (the load generators), carrying typed arrays as they are.
  ipc?: boolean;
}

export function startChild(name: string, command: string, args: string[], cwd: string, options: ChildOptions = {}): Child {
  const child = spawn(command, args, {
    cwd,
    detached: true,
    stdio: options.ipc === true ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
    serialization: 'advanced',
  });
  let tail = '';
  const keepTail = (chunk: Buffer): void => {
    tail = (tail + chunk.toString('utf8')).slice(-logTailBytesMax);
  };
  child.stdout?.on('data', keepTail);
  child.stderr?.on('data', keepTail);
  const exited = new Promise<Exit>((resolve) => {
    child.once('error', (error) => {
      keepTail(Buffer.from(`${error.message}\n`));
      resolve({ code: null, signal: null });
    });
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const handle: Child = { name, process: child, exited, logTail: () => tail };
  live.add(handle);
  void exited.then(() => live.delete(handle));
  return handle;
}

// The pid of a started child; spawn leaves it undefined only when the command could not be run.
export function pidOf(child: Child): number {
  const pid = child.process.pid;
  if (pid === undefined) throw new Error(`${child.name} has no process: ${child.logTail().trim()}`);
  return pid;
}

export function describeExit(exit: Exit): string {
  return exit.signal !== null ? `killed by ${exit.signal}` : `exited with code ${exit.code ?? 'unknown'}`;
}

function signalGroup(pid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    // ESRCH: no process is left in the group, which is what the caller is waiting for.
    return false;
  }
}

function isGroupAlive(pid: number): boolean {
  return signalGroup(pid, 0);
}

async function waitGroupGone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadlineMs = Date.now() + timeoutMs;
  while (isGroupAlive(pid)) {
    if (Date.now() >= deadlineMs) return false;
    await sleep(groupPollIntervalMs);
  }
  return true;
}

async function exitWithin(child: Child, timeoutMs: number): Promise<Exit | undefined> {
  const cancel = new AbortController();
  const timeout = sleep(timeoutMs, undefined, { signal: cancel.signal }).catch(() => undefined);
  const exit = await Promise.race([child.exited, timeout]);
  cancel.abort();
  return exit;
}

// SIGTERM to the leader, which owns the orderly shutdown of its helpers; SIGKILL to the whole
// group only when that did not finish in time. Returns how the leader ended.
export async function stopChild(child: Child): Promise<Exit> {
  const pid = child.process.pid;
  if (pid === undefined) return child.exited;
  child.process.kill('SIGTERM');
  let exit = await exitWithin(child, stopGraceMs);
  if (exit === undefined) {
    signalGroup(pid, 'SIGKILL');
    exit = await child.exited;
  }
  if (isGroupAlive(pid)) {
    signalGroup(pid, 'SIGTERM');
    if (!(await waitGroupGone(pid, groupGraceMs))) signalGroup(pid, 'SIGKILL');
  }
  return exit;
}

// Last resort on interrupt or crash of the runner: exit handlers must be synchronous.
export function killAllChildren(): void {
  for (const child of live) {
    if (child.process.pid !== undefined) signalGroup(child.process.pid, 'SIGKILL');
  }
}
