// Waits for replicas' /readyz with a bounded deadline.
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';

const POLL_INTERVAL_MS = 100;

export async function isReady(baseUrl: string): Promise<boolean> {
  try {
    const res = await request(`${baseUrl}/readyz`, { headersTimeout: 1000, bodyTimeout: 1000 });
    await res.body.dump();
    return res.statusCode === 200;
  } catch {
    return false; // Not listening yet.
  }
}

/** Resolves true once every URL answers /readyz with 200, false when the deadline passes first. */
export async function waitUntilReady(baseUrls: readonly string[], deadlineMs: number): Promise<boolean> {
  const giveUpAt = Date.now() + deadlineMs;
  while (Date.now() < giveUpAt) {
    const states = await Promise.all(baseUrls.map(isReady));
    if (states.every(Boolean)) return true;
    await sleep(POLL_INTERVAL_MS);
  }
  return false;
}
