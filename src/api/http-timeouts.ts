// How long a client may take to send a request: its headers within headersTimeoutMs, the whole request
// (headers and body) within requestTimeoutMs, so a client that trickles bytes (slowloris) holds a
// connection and a request slot for a bounded time. Node's HTTP server enforces both and client-errors.ts
// answers 408. Once a request is in, its answer may take as long as it needs (a watch streams for ever).

/** Headers take one round trip on any network a replica serves; ten seconds is generous. */
export const HEADERS_TIMEOUT_MS_DEFAULT = 10_000;
/** Room for the largest body (1 MiB) at about 35 KB/s. */
export const REQUEST_TIMEOUT_MS_DEFAULT = 30_000;
/** Either timeout lies in this range: below it a sound client on a slow link fails, above it the bound means little. */
export const HTTP_TIMEOUT_MS_MIN = 100;
export const HTTP_TIMEOUT_MS_MAX = 3_600_000;
/** How often Node looks for requests past their time; each timeout is enforced to within this much. */
const TIMEOUT_CHECK_INTERVAL_MS = 1_000;

export interface RequestTimeouts {
  headersTimeoutMs: number;
  requestTimeoutMs: number;
}

function checkRange(name: string, ms: number): void {
  if (!Number.isInteger(ms) || ms < HTTP_TIMEOUT_MS_MIN || ms > HTTP_TIMEOUT_MS_MAX) {
    throw new RangeError(`${name} must be an integer from ${HTTP_TIMEOUT_MS_MIN} to ${HTTP_TIMEOUT_MS_MAX}, got ${ms}`);
  }
}

/** The timeouts a server runs with: the given ones or the defaults, checked (a misconfiguration stops the start). */
export function requestTimeoutsOf(given: Partial<RequestTimeouts>): RequestTimeouts {
  const timeouts = {
    headersTimeoutMs: given.headersTimeoutMs ?? HEADERS_TIMEOUT_MS_DEFAULT,
    requestTimeoutMs: given.requestTimeoutMs ?? REQUEST_TIMEOUT_MS_DEFAULT,
  };
  checkRange('headersTimeoutMs', timeouts.headersTimeoutMs);
  checkRange('requestTimeoutMs', timeouts.requestTimeoutMs);
  // The headers are part of the request: Node refuses a headers timeout longer than the request's.
  if (timeouts.headersTimeoutMs > timeouts.requestTimeoutMs) {
    throw new RangeError(`headersTimeoutMs (${timeouts.headersTimeoutMs}) must not exceed requestTimeoutMs (${timeouts.requestTimeoutMs})`);
  }
  return timeouts;
}

/** The Fastify options that make Node enforce `timeouts`. */
export function fastifyTimeoutOptions(timeouts: RequestTimeouts) {
  return {
    // Fastify sets the server's requestTimeout from its own option, which defaults to none.
    requestTimeout: timeouts.requestTimeoutMs,
    http: {
      headersTimeout: timeouts.headersTimeoutMs,
      requestTimeout: timeouts.requestTimeoutMs,
      connectionsCheckingInterval: TIMEOUT_CHECK_INTERVAL_MS,
    },
  };
}
