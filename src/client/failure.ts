// What one attempt's failure means: whether the operation may have been applied by it, whether the
// endpoint is to blame (so the next attempt goes elsewhere), and the typed error the caller gets if it is
// the last. Statuses and codes follow docs/api.md (Errors); messages are the server's own.
import {
  CompactedError,
  ForbiddenError,
  UnauthorizedError,
  InvalidRequestError,
  MrtomError,
  NotFoundError,
  PreconditionFailedError,
  ServerError,
  TimeoutError,
  UnavailableError,
  type ErrorContext,
} from './errors.js';

/** `not_applied`: the server certainly did not act on this attempt; `unknown`: it may have. */
export type Outcome = 'not_applied' | 'unknown';

export interface Failure {
  code: string;
  message: string;
  status?: number;
  endpoint: string;
  outcome: Outcome;
  /** The endpoint could not serve (down, refusing, overloaded): mark it and try the next one. */
  endpointFault: boolean;
  /** A retry may succeed where this attempt did not (another endpoint, or the same one later). */
  transient: boolean;
  retryAfterMs?: number;
  modRevision?: number | null;
  oldestRevision?: number;
  cause?: unknown;
}

/** Thrown by one attempt; the retry policy reads `repeat`, the caller never sees this class. */
export class AttemptFailed extends Error {
  constructor(
    readonly failure: Failure,
    /** Transient, and safe to repeat for this request (transport.ts decides). */
    readonly repeat: boolean,
  ) {
    super(failure.message);
    this.name = 'AttemptFailed';
  }
}

interface ErrorBody {
  error?: { code?: unknown; message?: unknown; modRevision?: unknown; oldestRevision?: unknown };
}

function parseErrorBody(body: Buffer): ErrorBody['error'] {
  try {
    return (JSON.parse(body.toString('utf8')) as ErrorBody).error;
  } catch {
    // A body that is not the documented JSON (a proxy's HTML page): the status alone decides.
    return undefined;
  }
}

function retryAfterMsOf(header: string | string[] | undefined): number | undefined {
  const seconds = Number(Array.isArray(header) ? header[0] : header);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}

/**
 * 503 `unavailable` and `overloaded` are refusals before the operation is submitted (docs/api.md: no
 * quorum, too many in flight). `shutting_down` can also fail operations already submitted, and 504 says
 * outright that the write may or may not have happened.
 */
const REFUSED_BEFORE_SUBMIT = new Set(['unavailable', 'overloaded', 'too_many_watches']);

export function failureFromResponse(
  status: number,
  headers: Record<string, string | string[] | undefined>,
  body: Buffer,
  endpoint: string,
): Failure {
  const error = parseErrorBody(body);
  const code = typeof error?.code === 'string' ? error.code : `http_${status}`;
  const message = typeof error?.message === 'string' ? error.message : `HTTP ${status} from ${endpoint}`;
  const base = { code, message, status, endpoint };
  if (status === 503 || status === 429) {
    const retryAfterMs = retryAfterMsOf(headers['retry-after']);
    const outcome: Outcome = REFUSED_BEFORE_SUBMIT.has(code) ? 'not_applied' : 'unknown';
    return { ...base, outcome, endpointFault: true, transient: true, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
  }
  if (status === 504) return { ...base, outcome: 'unknown', endpointFault: false, transient: true };
  const answer = { ...base, outcome: 'not_applied' as const, endpointFault: false, transient: false };
  if (status === 412) {
    const modRevision = typeof error?.modRevision === 'number' || error?.modRevision === null ? error.modRevision : null;
    return { ...answer, modRevision };
  }
  if (status === 410 && typeof error?.oldestRevision === 'number') return { ...answer, oldestRevision: error.oldestRevision };
  // Other 5xx: the server broke on this request; whether it acted is not known.
  return status >= 500 ? { ...answer, outcome: 'unknown' } : answer;
}

/** Undici's errors before the request left (nothing was sent) vs after (the server may have acted). */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);
const ATTEMPT_TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/** The server's certificate was not trusted, or no TLS could be agreed: the request never left, and
 *  the same trust fails the same way on every attempt, so the caller hears the reason at once. */
const TLS_VERIFY_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);
const isTlsFailure = (code: string): boolean => TLS_VERIFY_CODES.has(code) || code.startsWith('ERR_SSL_');

export function failureFromTransport(err: unknown, endpoint: string): Failure {
  const code = (err as { code?: unknown }).code;
  const reason = err instanceof Error ? err.message : String(err);
  if (typeof code === 'string' && isTlsFailure(code)) {
    return {
      code: 'tls_failed',
      message: `TLS with ${endpoint} failed: ${reason} (${code}; check the trusted CA and the endpoint's scheme)`,
      endpoint,
      outcome: 'not_applied',
      endpointFault: false,
      transient: false,
      cause: err,
    };
  }
  if (typeof code === 'string' && NOT_SENT_CODES.has(code)) {
    return {
      code: 'connection_failed',
      message: `cannot connect to ${endpoint}: ${reason}`,
      endpoint,
      outcome: 'not_applied',
      endpointFault: true,
      transient: true,
      cause: err,
    };
  }
  const timedOut = typeof code === 'string' && ATTEMPT_TIMEOUT_CODES.has(code);
  return {
    code: timedOut ? 'timeout' : 'connection_failed',
    message: timedOut ? `${endpoint} did not answer in time: ${reason}` : `connection to ${endpoint} failed mid-request: ${reason}`,
    endpoint,
    outcome: 'unknown',
    endpointFault: true,
    transient: true,
    cause: err,
  };
}

/** The error the caller sees for the last failure; `mayHaveHappened` covers every attempt made. */
export function errorOf(failure: Failure, mayHaveHappened: boolean): MrtomError {
  const context: ErrorContext = {
    code: failure.code,
    endpoint: failure.endpoint,
    mayHaveHappened,
    ...(failure.status === undefined ? {} : { status: failure.status }),
    ...(failure.cause === undefined ? {} : { cause: failure.cause }),
  };
  const { status, message } = failure;
  if (status === 404) return new NotFoundError(message, context);
  if (status === 401) return new UnauthorizedError(message, context);
  if (status === 403) return new ForbiddenError(message, context);
  if (status === 412) return new PreconditionFailedError(message, context, failure.modRevision ?? null);
  if (status === 410 && failure.oldestRevision !== undefined) return new CompactedError(message, context, failure.oldestRevision);
  if (status === 504 || failure.code === 'timeout') return new TimeoutError(message, context);
  if (failure.transient) return new UnavailableError(message, context, failure.retryAfterMs);
  if (status !== undefined && status >= 400 && status < 500) return new InvalidRequestError(message, context);
  return new ServerError(message, context);
}
