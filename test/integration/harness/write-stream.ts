// A bounded stream of writes from several concurrent writers, recording which writes were acknowledged
// and when, so a test can kill processes underneath it and measure how long writes stall.
import { randomBytes } from 'node:crypto';
import { put } from './http.js';

export interface WriteStream {
  acknowledged: Map<string, string>;
  /** Resolves with ms from `sinceMs` until a write that STARTED after it was acknowledged. */
  recoveredAfter(sinceMs: number, deadlineMs: number): Promise<number>;
  stop(): Promise<void>;
}

const WRITES_PER_WRITER_MAX = 5_000;
const POLL_MS = 20;

export function startWriteStream(options: { name: string; writers: number; targets: () => string[]; durationMsMax: number }): WriteStream {
  const acknowledged = new Map<string, string>();
  const completions: Array<{ startMs: number; endMs: number }> = [];
  const stopAt = Date.now() + options.durationMsMax;
  let stopped = false;
  const writers = Array.from({ length: options.writers }, async (_, w) => {
    for (let i = 0; i < WRITES_PER_WRITER_MAX && !stopped && Date.now() < stopAt; i++) {
      const targets = options.targets();
      const key = `${options.name}/${w}/${i}`;
      const value = `${w}:${i}:${randomBytes(4).toString('hex')}`;
      const startMs = Date.now();
      const res = await put(targets[i % targets.length]!, key, value).catch(() => null);
      if (res?.status === 200) {
        acknowledged.set(key, value);
        completions.push({ startMs, endMs: Date.now() });
      } else {
        // Back off a little while the cluster is unavailable instead of spinning.
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
    }
  });
  return {
    acknowledged,
    async recoveredAfter(sinceMs, deadlineMs) {
      const giveUpAt = Date.now() + deadlineMs;
      while (Date.now() < giveUpAt) {
        const first = completions.find((c) => c.startMs >= sinceMs);
        if (first) return first.endMs - sinceMs;
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
      throw new Error(`no write acknowledged within ${deadlineMs} ms after the failure`);
    },
    async stop() {
      stopped = true;
      await Promise.all(writers);
    },
  };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
