// CPU time of processes, read from /proc/<pid>/stat: utime + stime cover every thread of the
// process and are counted in clock ticks (`getconf CLK_TCK`, 100 on Linux/x86, so 10 ms each).
// Linux only; the bench says so rather than reporting zeros elsewhere.
import { execFileSync } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';

// Fields of /proc/<pid>/stat counted after the ')' closing the command name (field 2), which
// may itself contain spaces: field 4 is ppid, 14 utime, 15 stime, 22 the start time.
const fieldOffset = 3;
const ppidField = 4;
const utimeField = 14;
const stimeField = 15;
const startTicksField = 22;

function clockTicksPerS(): number {
  const ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
  if (!Number.isInteger(ticks) || ticks <= 0) throw new Error(`getconf CLK_TCK gave "${ticks}"`);
  return ticks;
}

let ticksPerS: number | undefined;
export function msPerTick(): number {
  ticksPerS ??= clockTicksPerS();
  return 1000 / ticksPerS;
}

export interface ProcessCpu {
  pid: number;
  // Tells a process from a later one that got the same pid.
  startTicks: number;
  cpuMs: number;
}

async function statFields(pid: number): Promise<string[] | undefined> {
  try {
    const text = await readFile(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    // The process is gone (ENOENT/ESRCH): the caller reports that, not an error.
    return undefined;
  }
}

function field(fields: string[], number: number): number {
  return Number(fields[number - fieldOffset]);
}

export async function readProcessCpu(pid: number): Promise<ProcessCpu | undefined> {
  const fields = await statFields(pid);
  if (fields === undefined) return undefined;
  const ticks = field(fields, utimeField) + field(fields, stimeField);
  return { pid, startTicks: field(fields, startTicksField), cpuMs: ticks * msPerTick() };
}

export async function childPidsOf(parentPid: number): Promise<number[]> {
  const pids = (await readdir('/proc')).filter((name) => /^\d+$/.test(name)).map(Number);
  const children: number[] = [];
  for (const pid of pids) {
    const fields = await statFields(pid);
    if (fields !== undefined && field(fields, ppidField) === parentPid) children.push(pid);
  }
  return children;
}

export async function commandLineOf(pid: number): Promise<string[]> {
  const text = await readFile(`/proc/${pid}/cmdline`, 'utf8');
  return text.split('\0').filter((arg) => arg.length > 0);
}
