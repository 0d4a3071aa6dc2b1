// CPU time for the sequencer bench: of one process (/proc/<pid>/stat), of the whole machine (/proc/stat),
// and of one BPF program (the kernel's run_time_ns, counted while kernel.bpf_stats_enabled is 1).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const TICK_MS = 10; // USER_HZ is 100 on Linux.

export function processCpuMs(pid: number): number {
  // Fields after the command name (which may contain spaces): utime and stime are the 12th and 13th.
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
}

/** CPU time spent by all CPUs on anything but idle and iowait. */
export function machineCpuMs(): number {
  const [, ...ticks] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = ticks;
  return (user + nice + system + irq + softirq + steal) * TICK_MS;
}

export interface ProgramRuntime {
  runTimeNs: number;
  runCount: number;
}

export function programRuntime(name: string): ProgramRuntime {
  const programs = JSON.parse(execFileSync('bpftool', ['prog', 'show', 'name', name, '-j'], { encoding: 'utf8' })) as
    { run_time_ns?: number; run_cnt?: number }[] | { run_time_ns?: number; run_cnt?: number };
  const list = Array.isArray(programs) ? programs : [programs];
  return list.reduce((sum, p) => ({ runTimeNs: sum.runTimeNs + (p.run_time_ns ?? 0), runCount: sum.runCount + (p.run_cnt ?? 0) }), {
    runTimeNs: 0,
    runCount: 0,
  });
}

/** Runs `body` with BPF run-time statistics on, then restores the setting. */
export async function withBpfStats<T>(body: () => Promise<T>): Promise<T> {
  const before = readFileSync('/proc/sys/kernel/bpf_stats_enabled', 'utf8').trim();
  execFileSync('sysctl', ['-q', '-w', 'kernel.bpf_stats_enabled=1']);
  try {
    return await body();
  } finally {
    execFileSync('sysctl', ['-q', '-w', `kernel.bpf_stats_enabled=${before}`]);
  }
}
