// The replicas a client talks to: one undici keep-alive Pool per endpoint, each behind a cockatiel circuit
// breaker that marks it down on a failure it is to blame for and lets one probe through after a backoff
// that grows while it stays down. Requests stick to the endpoint that last answered (so a client reads its
// own writes from one replica's pipeline) and move to the next healthy one when it fails.
import { Pool } from 'undici';
import {
  BrokenCircuitError,
  ConsecutiveBreaker,
  ExponentialBackoff,
  circuitBreaker,
  handleWhen,
  type CircuitBreakerPolicy,
} from 'cockatiel';
import { AttemptFailed } from './failure.js';
import type { TlsOptions } from './options.js';

export interface Endpoint {
  /** The base URL as configured, e.g. http://127.0.0.1:7001. */
  readonly url: string;
  readonly pool: Pool;
  readonly breaker: CircuitBreakerPolicy;
}

export interface EndpointOptions {
  connectionsPerEndpoint: number;
  /** Used by https:// endpoints only. */
  tls: TlsOptions;
  /** First wait before a down endpoint is probed again; it doubles up to `downMsMax`. */
  downMsMin: number;
  downMsMax: number;
}

const isEndpointFault = handleWhen((err) => err instanceof AttemptFailed && err.failure.endpointFault);

export class Endpoints {
  readonly all: readonly Endpoint[];
  private preferred = 0;

  constructor(urls: readonly string[], options: EndpointOptions) {
    this.all = urls.map((url) => ({
      url,
      pool: new Pool(url, { connections: options.connectionsPerEndpoint, connect: { ...options.tls } }),
      breaker: circuitBreaker(isEndpointFault, {
        // One fault is enough: a refused connection or a 503 says this replica cannot serve now, and the
        // others can; waiting for more failures would only make the caller wait.
        breaker: new ConsecutiveBreaker(1),
        halfOpenAfter: new ExponentialBackoff({ initialDelay: options.downMsMin, maxDelay: options.downMsMax }),
      }),
    }));
  }

  /** The endpoint requests go to first. */
  get current(): string {
    return this.all[this.preferred]!.url;
  }

  /**
   * Runs `attempt` on the preferred endpoint or, when its breaker is open, on the next one whose breaker
   * lets it through. Resolves with the endpoint's answer, or with `null` when every endpoint is marked
   * down (the caller waits and tries again); rejects with the attempt's failure.
   */
  async run<T>(attempt: (endpoint: Endpoint) => Promise<T>): Promise<T | null> {
    const start = this.preferred;
    for (let i = 0; i < this.all.length; i++) {
      const index = (start + i) % this.all.length;
      const endpoint = this.all[index]!;
      try {
        const result = await endpoint.breaker.execute(() => attempt(endpoint));
        this.preferred = index;
        return result;
      } catch (err) {
        if (err instanceof BrokenCircuitError) continue; // Marked down: skipped, not an attempt.
        if (err instanceof AttemptFailed && err.failure.endpointFault) this.moveOffIfPreferred(index);
        throw err;
      }
    }
    return null;
  }

  async close(): Promise<void> {
    await Promise.all(this.all.map((endpoint) => endpoint.pool.close()));
  }

  /** Concurrent requests may fail on an endpoint another one already left; only the first moves on. */
  private moveOffIfPreferred(index: number): void {
    if (this.preferred === index) this.preferred = (index + 1) % this.all.length;
  }
}
