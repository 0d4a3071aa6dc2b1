// Waiting on a condition with a bounded deadline: integration tests poll what they expect, never sleep and hope.
import { setTimeout as sleep } from 'node:timers/promises';

const POLL_INTERVAL_MS = 50;

/** Resolves with the first non-undefined answer of `probe`; throws naming `what` once `deadlineMs` passed. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, deadlineMs: number): Promise<T> {
  const giveUpAt = Date.now() + deadlineMs;
  for (;;) {
    const answer = await probe();
    if (answer !== undefined) return answer;
    if (Date.now() >= giveUpAt) throw new Error(`timed out after ${deadlineMs} ms waiting for ${what}`);
    await sleep(POLL_INTERVAL_MS);
  }
}
