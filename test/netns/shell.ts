// Runs the system tools the harness drives (ip, iptables-legacy-restore, kill): one child process per
// command, with a bounded deadline, and an error that names the command and what it printed.
import { execFile } from 'node:child_process';

/** No command the harness runs takes anywhere near this on an idle machine; a loaded 2-core one needs room. */
const COMMAND_TIMEOUT_MS = 20_000;

export interface CommandResult {
  stdout: string;
  stderr: string;
}

/** Runs `command args...`, feeding `input` on stdin; rejects when it fails or outlives its deadline. */
export function run(command: string, args: readonly string[], input?: string): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(command, args, { timeout: COMMAND_TIMEOUT_MS, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      if (err === null) return resolve({ stdout, stderr });
      const how = err.killed ? `killed after ${COMMAND_TIMEOUT_MS} ms` : `exit ${String(err.code)}`;
      reject(new Error(`${command} ${args.join(' ')}: ${how}: ${stderr.trim() || stdout.trim() || err.message}`));
    });
    if (input !== undefined) child.stdin!.end(input);
  });
}

/** `run` inside network namespace `ns` (ip netns exec: it enters the namespace and execs the command). */
export function runIn(ns: string, command: string, args: readonly string[], input?: string): Promise<CommandResult> {
  return run('ip', ['netns', 'exec', ns, command, ...args], input);
}
