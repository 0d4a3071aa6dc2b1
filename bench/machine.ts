// What the numbers were measured on: the machine, the code, the tools; and the machine's busy CPU
// time, so a run can say how much CPU went to processes that are not part of the benchmark.
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { cpus, release } from 'node:os';
import { repoDir } from './paths.js';
import { msPerTick } from './proc.js';

export interface MachineInfo {
  cpuCount: number;
  cpuModel: string;
  kernel: string;
  nodeVersion: string;
  // The commit the servers were built from, and whether src/ differed from it.
  gitCommit: string;
  srcDirty: boolean;
  etcdVersion: string;
}

function commandOutput(command: string, args: string[]): string | undefined {
  try {
    return execFileSync(command, args, { cwd: repoDir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    // Not a git checkout, or no etcd: the report says unknown.
    return undefined;
  }
}

export function machineInfo(): MachineInfo {
  return {
    cpuCount: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    kernel: release(),
    nodeVersion: process.version,
    gitCommit: commandOutput('git', ['rev-parse', '--short', 'HEAD']) ?? 'unknown',
    srcDirty: (commandOutput('git', ['status', '--porcelain', '--', 'src']) ?? '').length > 0,
    etcdVersion:
      commandOutput('etcd', ['--version'])
        ?.split('\n')[0]
        ?.replace(/^etcd Version:\s*/, '') ?? 'not installed',
  };
}

export interface MachineTimes {
  busyMs: number;
  totalMs: number;
}

// The first line of /proc/stat, all cores together, in clock ticks: user nice system idle iowait
// irq softirq steal. os.cpus() leaves out softirq (where loopback traffic is processed) and steal
// (time the hypervisor gave to other VMs), both of which a shared VM has plenty of.
// idle and iowait: the machine had nothing to run.
const idleFields = [3, 4];
const countedFields = 8;

export async function machineTimes(): Promise<MachineTimes> {
  const line = (await readFile('/proc/stat', 'utf8')).split('\n', 1)[0]!;
  const ticks = line
    .trim()
    .split(/\s+/)
    .slice(1, 1 + countedFields)
    .map(Number);
  const totalTicks = ticks.reduce((sum, value) => sum + value, 0);
  const idleTicks = idleFields.reduce((sum, index) => sum + ticks[index]!, 0);
  return { busyMs: (totalTicks - idleTicks) * msPerTick(), totalMs: totalTicks * msPerTick() };
}
