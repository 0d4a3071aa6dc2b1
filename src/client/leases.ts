// Leases (docs/api.md): grant one with a TTL, keep it alive, revoke it; keys written with `{ lease }`
// are deleted when it ends. keepAlive() runs a loop until stopped, or until the lease is found gone.
import { setTimeout as sleep } from 'node:timers/promises';
import { NotFoundError } from './errors.js';
import type { JsonCaller, WriteOptions } from './write-request.js';
import { writeRequest } from './write-request.js';

export interface Lease {
  lease: number;
  ttlMs: number;
}

export interface KeepAliveOptions {
  /** Time between keepalives; default a third of the TTL the server reports. */
  intervalMs?: number;
  /** Told after every keepalive that got through. */
  onKeepAlive?: (lease: Lease) => void;
  signal?: AbortSignal;
}

export interface KeepAlive {
  /** Resolves once stopped; rejects with NotFoundError when the lease is gone (expired or revoked), or
   *  with the last error when no keepalive got through for a whole TTL. */
  readonly done: Promise<void>;
  /** The TTL the last keepalive restarted. */
  readonly lastTtlMs: number | undefined;
  stop(): void;
}

/** Keepalives are at least this far apart, whatever the TTL. */
const KEEPALIVE_INTERVAL_MS_MIN = 100;

export class Leases {
  constructor(
    private readonly call: JsonCaller,
    private readonly clientSignal: AbortSignal,
  ) {}

  /** A new lease; its TTL is between 1 s and 24 h (the server's bounds). */
  grant(ttlMs: number, options: WriteOptions = {}): Promise<Lease> {
    return this.call<Lease>(writeRequest('POST', `/v1/leases?ttl=${ttlMs}ms`, options));
  }

  /** Restarts the lease's countdown. Repeating it is harmless, so it is always retried. */
  keepAliveOnce(lease: number, options: { signal?: AbortSignal } = {}): Promise<Lease> {
    return this.call<Lease>({ method: 'POST', path: `/v1/leases/${lease}/keepalive`, repeatable: 'read', ...options });
  }

  /** Ends the lease and deletes its keys. `more`: keys remain (over 100000); repeat. */
  revoke(lease: number, options: WriteOptions = {}): Promise<{ revision: number; deleted: number; more: boolean }> {
    return this.call(writeRequest('DELETE', `/v1/leases/${lease}`, options));
  }

  keepAlive(lease: number, options: KeepAliveOptions = {}): KeepAlive {
    const stopper = new AbortController();
    const signals = [stopper.signal, this.clientSignal, ...(options.signal ? [options.signal] : [])];
    const signal = AbortSignal.any(signals);
    const state: { lastTtlMs: number | undefined } = { lastTtlMs: undefined };
    const run = async (): Promise<void> => {
      let aliveUntilMs = Number.POSITIVE_INFINITY;
      // Runs for the life of the lease: each turn waits an interval, so it ends only when stopped or lost.
      while (!signal.aborted) {
        try {
          const kept = await this.keepAliveOnce(lease, { signal });
          state.lastTtlMs = kept.ttlMs;
          aliveUntilMs = Date.now() + kept.ttlMs;
          options.onKeepAlive?.(kept);
        } catch (err) {
          if (signal.aborted) return;
          // Gone for good; or unreachable for so long that it has expired by now.
          if (err instanceof NotFoundError || Date.now() >= aliveUntilMs) throw err;
        }
        const intervalMs = options.intervalMs ?? Math.floor((state.lastTtlMs ?? 0) / 3);
        // A stop during the wait rejects it; the loop condition then ends the loop.
        await sleep(Math.max(KEEPALIVE_INTERVAL_MS_MIN, intervalMs), undefined, { signal }).catch(() => undefined);
      }
    };
    const done = run();
    // Marked handled so a caller who never awaits `done` does not crash the process; awaiting it still rejects.
    done.catch(() => undefined);
    return {
      done,
      get lastTtlMs() {
        return state.lastTtlMs;
      },
      stop: () => stopper.abort(),
    };
  }
}
