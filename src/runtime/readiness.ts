// Waits for replicas' /readyz with a bounded deadline.
import { setTimeout as sleep } from 'node:timers/promises';
import { request, type Dispatcher } from 'undici';

const POLL_INTERVAL_MS = 100;

async function answers200(url: string, dispatcher?: Dispatcher): Promise<boolean> {
  try {
    const res = await request(url, { headersTimeout: 1000, bodyTimeout: 1000, ...(dispatcher === undefined ? {} : { dispatcher }) });
    await res.body.dump();
    return res.statusCode === 200;
  } catch {
    return false; // Not listening yet.
  }
}

async function waitFor200(urls: readonly string[], deadlineMs: number, dispatcher?: Dispatcher): Promise<boolean> {
  const giveUpAt = Date.now() + deadlineMs;
  while (Date.now() < giveUpAt) {
    const states = await Promise.all(urls.map((url) => answers200(url, dispatcher)));
    if (states.every(Boolean)) return true;
    await sleep(POLL_INTERVAL_MS);
  }
  return false;
}

/** Resolves true once every URL answers /readyz with 200, false when the deadline passes first;
 *  `dispatcher` carries the TLS trust (and client certificate) for https:// URLs. */
export function waitUntilReady(baseUrls: readonly string[], deadlineMs: number, dispatcher?: Dispatcher): Promise<boolean> {
  return waitFor200(
    baseUrls.map((url) => `${url}/readyz`),
    deadlineMs,
    dispatcher,
  );
}

/** Resolves true once the process at baseUrl answers /livez with 200 (it is up, not necessarily ready). */
export function waitUntilLive(baseUrl: string, deadlineMs: number): Promise<boolean> {
  return waitFor200([`${baseUrl}/livez`], deadlineMs);
}
