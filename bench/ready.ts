// Waits until every endpoint of a target reports ready, or says why it never did: the deadline
// passed, or a process of the target exited first (e.g. the command does not exist yet).
import { setTimeout as sleep } from 'node:timers/promises';
import { describeExit, type Child, type Exit } from './child.js';

// A cluster elects a leader and its members join: seconds, not minutes.
const readyTimeoutMs = 60_000;
const pollIntervalMs = 100;
const probeTimeoutMs = 1_000;
// The end of a failed child's output, enough to show the error without a whole stack.
const failureLogLinesMax = 12;

export interface ReadinessProbe {
  url: string;
  // Some servers (etcd) answer 200 while not yet healthy, so the body may need checking too.
  isReady(status: number, body: string): boolean;
}

function lastLines(text: string, count: number): string {
  return text.trimEnd().split('\n').slice(-count).join('\n');
}

async function probeOnce(probe: ReadinessProbe): Promise<boolean> {
  try {
    const response = await fetch(probe.url, { signal: AbortSignal.timeout(probeTimeoutMs) });
    return probe.isReady(response.status, await response.text());
  } catch {
    // Connection refused or timed out: not listening yet, which is what polling is for.
    return false;
  }
}

export async function waitReady(probes: readonly ReadinessProbe[], children: readonly Child[]): Promise<void> {
  let firstExit: { child: Child; exit: Exit } | undefined;
  for (const child of children) void child.exited.then((exit) => (firstExit ??= { child, exit }));
  const deadlineMs = Date.now() + readyTimeoutMs;
  const pending = new Set(probes);
  while (pending.size > 0) {
    if (firstExit !== undefined) {
      const { child, exit } = firstExit;
      throw new Error(
        `${child.name} ${describeExit(exit)} before it was ready; its output ends:\n${lastLines(child.logTail(), failureLogLinesMax)}`,
      );
    }
    if (Date.now() > deadlineMs) {
      const waiting = [...pending].map((probe) => probe.url).join(', ');
      const tails = children.map((child) => `${child.name} output ends:\n${lastLines(child.logTail(), failureLogLinesMax)}`);
      throw new Error(`not ready after ${readyTimeoutMs} ms: ${waiting}\n${tails.join('\n')}`);
    }
    for (const probe of [...pending]) if (await probeOnce(probe)) pending.delete(probe);
    if (pending.size > 0) await sleep(pollIntervalMs);
  }
}
