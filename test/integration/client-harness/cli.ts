// Runs the mrtom-kv CLI as a real subprocess (the TypeScript sources through tsx, as `npm test` has no
// build step), with a bounded run time, and collects its output and exit code.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../../src/cli/main.ts', import.meta.url));
const RUN_MS_MAX = 30_000;

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(
  args: readonly string[],
  options: { env?: Record<string, string>; input?: string; runMsMax?: number } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
      env: { ...process.env, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const runMsMax = options.runMsMax ?? RUN_MS_MAX;
    const killer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`mrtom-kv ${args.join(' ')} still running after ${runMsMax} ms:\n${stdout}\n${stderr}`));
    }, runMsMax);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(killer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}
