// The one place an error becomes an HTTP response: every failure leaves as
// {"error": {"code", "message"}} with the status its code implies (docs/design.md §5). Failures before
// any route runs (a malformed request, a timeout) are written in the same shape by client-errors.ts.
import { STATUS_CODES } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ServiceError, type ServiceErrorCode } from './service-errors.js';
import { describeIssues, type ValidationIssue } from './validation-issues.js';

/** A failure the API itself detects (bad key, missing key, wrong method); thrown by handlers. */
export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    /** Headers the error response must still carry, e.g. the revision a 404 was observed at. */
    readonly headers: Readonly<Record<string, string>> = {},
    /** Fields the error body carries besides code and message (DETAILS in responses.ts documents them). */
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

interface HttpError {
  statusCode: number;
  code: string;
  message: string;
  headers: Readonly<Record<string, string>>;
  details?: Readonly<Record<string, unknown>>;
}

const SERVICE_STATUS: Record<ServiceErrorCode, number> = {
  unavailable: 503,
  overloaded: 503,
  shutting_down: 503,
  commit_timeout: 504,
  value_too_large: 413,
};

/** Seconds a client waits when a retryable 503 did not say; one is short next to a view change. */
const RETRY_AFTER_SECONDS_DEFAULT = 1;

function fromServiceError(err: ServiceError): HttpError {
  const headers: Record<string, string> = {};
  const retryable = err.code === 'unavailable' || err.code === 'overloaded';
  if (retryable || err.retryAfterSeconds !== undefined) {
    headers['retry-after'] = String(err.retryAfterSeconds ?? RETRY_AFTER_SECONDS_DEFAULT);
  }
  // A timed-out commit may still be applied later, so a blind retry of a write could apply it twice.
  const message =
    err.code === 'commit_timeout' ? `${err.message}; the write may or may not have happened, so read the key before retrying` : err.message;
  return { statusCode: SERVICE_STATUS[err.code], code: err.code, message, headers };
}

/** A 415 says what the route does take: only KV values are opaque bytes; other bodies are JSON or none. */
function whatToSend(request: FastifyRequest): string {
  const route = `${request.method} ${request.routeOptions.url ?? request.url}`;
  const sent = request.headers['content-type'] ?? 'none';
  if (request.routeOptions.schema?.body !== undefined)
    return `${route} takes a JSON body: send Content-Type: application/json (got ${sent})`;
  return `${route} takes no request body; its parameters go in the query string (got Content-Type: ${sent})`;
}

/** Bytes of a too-large body the server reads and discards after its 413 (docs/api.md, "Large values"). */
export const TOO_LARGE_DRAIN_BYTES_MAX = 8 * 1024 * 1024;

/**
 * Fastify answers a body over the limit at once and closes the connection; a client still sending the
 * body then fails with EPIPE or a reset instead of reading the 413. A declared length within the drain
 * bound keeps the connection: Node reads the rest of the body and discards it, the client sees the 413.
 */
function tooLargeConnection(request: FastifyRequest): Record<string, string> {
  const declared = Number(request.headers['content-length']);
  return Number.isSafeInteger(declared) && declared <= TOO_LARGE_DRAIN_BYTES_MAX ? { connection: 'keep-alive' } : {};
}

/** Fastify's own client errors (bad content-length, body too large, schema validation) carry a statusCode. */
function fromFastifyError(
  err: Error & { statusCode?: number; code?: string; validation?: ValidationIssue[]; validationContext?: string },
  request: FastifyRequest,
): HttpError | null {
  if (err.validation !== undefined) {
    return { statusCode: 400, code: 'bad_request', message: describeIssues(err.validation, err.validationContext), headers: {} };
  }
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    const limit = request.routeOptions.bodyLimit;
    const message = `request body exceeds this server's limit of ${limit} bytes`;
    return { statusCode: 413, code: 'value_too_large', message, headers: tooLargeConnection(request) };
  }
  if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return { statusCode: 415, code: 'unsupported_media_type', message: whatToSend(request), headers: {} };
  }
  const status = err.statusCode;
  if (status === undefined || status < 400 || status > 499) return null;
  return { statusCode: status, code: codeOfStatus(status), message: err.message, headers: {} };
}

/** The code of a client error that has no more specific one: its reason phrase in snake_case, stable for
 *  clients to switch on ("Unsupported Media Type" → unsupported_media_type). */
export function codeOfStatus(status: number): string {
  return (STATUS_CODES[status] ?? 'bad request').toLowerCase().replace(/[^a-z0-9]+/g, '_');
}

/** The error body every layer sends. */
export function errorBody(code: string, message: string, details: Readonly<Record<string, unknown>> = {}) {
  return { error: { ...details, code, message } };
}

function toHttpError(err: unknown, request: FastifyRequest): HttpError {
  if (err instanceof ApiError) return err;
  if (err instanceof ServiceError) return fromServiceError(err);
  if (err instanceof Error) {
    const client = fromFastifyError(err, request);
    if (client !== null) return client;
  }
  return { statusCode: 500, code: 'internal', message: 'internal server error', headers: {} };
}

/** Maps any error to the response shape and logs what an operator must see: 5xx only, 4xx are the client's. */
export function sendError(err: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const http = toHttpError(err, request);
  if (http.code === 'internal') request.log.error({ err }, 'request failed');
  else if (http.statusCode >= 500) request.log.warn({ code: http.code }, http.message);
  reply
    .code(http.statusCode)
    .headers(http.headers)
    .send(errorBody(http.code, http.message, http.details));
}

/**
 * Installs the error handler and the not-found handler on the root, so every plugin inherits both. A
 * path some route serves, asked with another method, is 405 with the methods it takes in Allow, for
 * every route alike (routes registered after this too: the router is asked at request time).
 */
export function registerErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler(sendError);
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?', 1)[0]!;
    const allowed = app.supportedMethods.filter((method) => app.findRoute({ method, url: path }) !== null);
    if (allowed.length === 0) {
      sendError(new ApiError(404, 'not_found', `no route for ${request.method} ${path}`), request, reply);
      return;
    }
    const allow = allowed.join(', ');
    sendError(
      new ApiError(405, 'method_not_allowed', `${request.method} is not allowed on ${path}; use ${allow}`, { allow }),
      request,
      reply,
    );
  });
}
