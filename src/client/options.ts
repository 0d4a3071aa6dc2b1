// Client options, their defaults and their checks. Every limit has a unit in its name and a bound.

export interface RetryOptions {
  /** Attempts per call, the first included (default 20); each failover to another endpoint is one. */
  attemptsMax?: number;
  /** Backoff between attempts: exponential with jitter from `backoffMsMin` to `backoffMsMax` (25 / 1000). */
  backoffMsMin?: number;
  backoffMsMax?: number;
}

/** TLS for https:// endpoints; PEM text or bytes, as node:tls takes them. */
export interface TlsOptions {
  /** CAs to trust instead of Node's bundled ones (a private CA). */
  ca?: string | Buffer | Array<string | Buffer>;
  /** A client certificate and its key, for replicas that verify clients (mutual TLS). */
  cert?: string | Buffer;
  key?: string | Buffer;
}

export interface ClientOptions {
  /** Base URLs of the replicas, e.g. ['http://127.0.0.1:7001', 'http://127.0.0.1:7002']. */
  endpoints: readonly string[];
  /** A bearer token (docs/api.md, Authentication), sent as `Authorization: Bearer <token>` on every call. */
  token?: string;
  /** Deadline of one call, every retry included (default 15000). */
  timeoutMs?: number;
  /** Deadline of one attempt's response headers (default 7000: above the server's 5 s commit timeout,
   *  so its 504 normally arrives first). */
  attemptTimeoutMs?: number;
  retry?: RetryOptions;
  /** Keep-alive connections per endpoint (default 16). */
  connectionsPerEndpoint?: number;
  /** Aborts every call and watch of this client, like close(). */
  signal?: AbortSignal;
  tls?: TlsOptions;
}

export interface ResolvedOptions {
  endpoints: string[];
  timeoutMs: number;
  attemptTimeoutMs: number;
  retry: Required<RetryOptions>;
  connectionsPerEndpoint: number;
  tls: TlsOptions;
  /** How long an endpoint is skipped after a failure; doubles while it keeps failing. */
  downMsMin: number;
  downMsMax: number;
  /** Headers every request carries: the Authorization of `token`, when given. */
  headers: Record<string, string>;
}

const DEFAULTS = {
  timeoutMs: 15_000,
  attemptTimeoutMs: 7_000,
  attemptsMax: 20,
  backoffMsMin: 25,
  backoffMsMax: 1_000,
  connectionsPerEndpoint: 16,
  downMsMin: 250,
  downMsMax: 5_000,
} as const;

const ENDPOINTS_MAX = 64;
const CONNECTIONS_PER_ENDPOINT_MAX = 1_024;
const ATTEMPTS_MAX = 100;

function positiveInteger(name: string, value: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isSafeInteger(value) || value < 1 || value > max)
    throw new RangeError(`${name} must be an integer from 1 to ${max}, got ${value}`);
  return value;
}

function checkToken(token: string): string {
  if (!/^[\x21-\x7e]{1,512}$/.test(token)) throw new TypeError('token must be 1 to 512 printable ASCII characters without spaces');
  return token;
}

/** An endpoint as an origin with no trailing slash: http://host:port. */
function normalizeEndpoint(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new TypeError(`endpoint ${JSON.stringify(raw)} is not a URL (expected e.g. http://127.0.0.1:7001)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(`endpoint ${raw}: only http: and https: are supported`);
  if (url.pathname !== '/' || url.search !== '') throw new TypeError(`endpoint ${raw}: give the origin only, without a path or query`);
  return url.origin;
}

function checkTls(tls: TlsOptions): TlsOptions {
  if ((tls.cert === undefined) !== (tls.key === undefined)) throw new TypeError('tls: give cert and key together');
  return tls;
}

export function resolveOptions(options: ClientOptions): ResolvedOptions {
  const endpoints = [...new Set(options.endpoints.map(normalizeEndpoint))];
  if (endpoints.length === 0) throw new TypeError('endpoints: give at least one replica URL');
  if (endpoints.length > ENDPOINTS_MAX) throw new RangeError(`endpoints: at most ${ENDPOINTS_MAX}`);
  const retry = {
    attemptsMax: positiveInteger('retry.attemptsMax', options.retry?.attemptsMax ?? DEFAULTS.attemptsMax, ATTEMPTS_MAX),
    backoffMsMin: positiveInteger('retry.backoffMsMin', options.retry?.backoffMsMin ?? DEFAULTS.backoffMsMin),
    backoffMsMax: positiveInteger('retry.backoffMsMax', options.retry?.backoffMsMax ?? DEFAULTS.backoffMsMax),
  };
  if (retry.backoffMsMax < retry.backoffMsMin) throw new RangeError('retry.backoffMsMax must not be below retry.backoffMsMin');
  return {
    endpoints,
    timeoutMs: positiveInteger('timeoutMs', options.timeoutMs ?? DEFAULTS.timeoutMs),
    attemptTimeoutMs: positiveInteger('attemptTimeoutMs', options.attemptTimeoutMs ?? DEFAULTS.attemptTimeoutMs),
    retry,
    connectionsPerEndpoint: positiveInteger(
      'connectionsPerEndpoint',
      options.connectionsPerEndpoint ?? DEFAULTS.connectionsPerEndpoint,
      CONNECTIONS_PER_ENDPOINT_MAX,
    ),
    tls: checkTls(options.tls ?? {}),
    downMsMin: DEFAULTS.downMsMin,
    downMsMax: DEFAULTS.downMsMax,
    headers: options.token === undefined ? {} : { authorization: `Bearer ${checkToken(options.token)}` },
  };
}
