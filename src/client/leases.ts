// Leases (docs/api.md): grant one with a TTL, keep it alive, revoke it, list them or read one; keys
// written with `{ lease }` are deleted when it ends. keepAlive() runs a loop until stopped, or until the
// lease is found gone.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Consistency } from './client.js';
import { NotFoundError } from './errors.js';
import { withQuery } from './paths.js';
import type { JsonCaller, WriteOptions } from './write-request.js';
import { writeRequest } from './write-request.js';

export interface Lease {
  lease: number;
  ttlMs: number;
}

/** A lease as listed: its granted TTL and how many keys are attached. */
export interface LeaseSummary extends Lease {
  keys: number;
}

export interface LeaseListOptions {
  /** Start strictly after this lease id. */
  after?: number;
  /** Leases per page, at most 1000 (default 100). */
  pageSize?: number;
  consistency?: Consistency;
  signal?: AbortSignal;
}

export interface LeasePage {
  /** The revision this page was read at; each page of one list() is read at the revision current then. */
  revision: number;
  leases: LeaseSummary[];
  /** The last id when more follow; pass as `after` to continue elsewhere. */
  next: number | null;
}

export interface LeaseGetOptions {
  /** Name the keys attached (at most 1000, in key order) as `keyNames`; `moreKeys` says when there are more. */
  keys?: boolean;
  consistency?: Consistency;
  signal?: AbortSignal;
}

export interface LeaseInfo extends LeaseSummary {
  revision: number;
  /** Time left on the leader's countdown; null when the replica that answered is not the leader. */
  remainingMs: number | null;
  keyNames?: string[];
  moreKeys?: boolean;
}

/** Pages one list() iterates at most (100 million leases at the largest page). */
const LIST_PAGES_MAX = 100_000;

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

  /** Pages of leases in id order; each page is fetched when the loop asks for it. */
  async *list(options: LeaseListOptions = {}): AsyncGenerator<LeasePage> {
    let after = options.after;
    for (let page = 0; page < LIST_PAGES_MAX; page++) {
      const path = withQuery('/v1/leases', { after, limit: options.pageSize, consistency: options.consistency });
      const body = await this.read<LeasePage>(path, options.signal);
      yield body;
      if (body.next === null) return;
      after = body.next;
    }
    throw new RangeError(`leases.list: more than ${LIST_PAGES_MAX} pages`);
  }

  /** The lease, at one revision; NotFoundError (code lease_not_found) when it does not exist. */
  get(lease: number, options: LeaseGetOptions = {}): Promise<LeaseInfo> {
    return this.read(
      withQuery(`/v1/leases/${lease}`, { keys: options.keys || undefined, consistency: options.consistency }),
      options.signal,
    );
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

  private read<T>(path: string, signal: AbortSignal | undefined): Promise<T> {
    return this.call<T>({ method: 'GET', path, repeatable: 'read', ...(signal === undefined ? {} : { signal }) });
  }
}
