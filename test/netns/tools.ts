// The system tools the harness needs, checked once at start so a missing one is a clear message (and
// .ci/run's apt line) rather than a failure halfway through a run.
import { execFileSync } from 'node:child_process';

const TOOLS: ReadonlyArray<{ command: string; args: string[]; apt: string }> = [
  { command: 'ip', args: ['-V'], apt: 'iproute2' },
  { command: 'iptables-legacy-restore', args: ['--version'], apt: 'iptables' },
  { command: 'python3', args: ['--version'], apt: 'python3' },
];

export function checkTools(): void {
  const missing = TOOLS.filter(({ command, args }) => {
    try {
      execFileSync(command, args, { stdio: 'ignore' });
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length > 0) {
    throw new Error(
      `the netns harness needs ${missing.map((t) => t.command).join(', ')}: apt-get install ${missing.map((t) => t.apt).join(' ')}`,
    );
  }
  if (process.getuid?.() !== 0) throw new Error('the netns harness needs root (network namespaces, iptables in them)');
}
