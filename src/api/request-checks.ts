// Checks every request passes before any route runs (one onRequest hook on the root), so each route
// sees the same well-formed input, and failures that Fastify or Node would answer in their own shape
// are answered in ours: a server shutting down, an HTTP/1.1 request without Host, a query string that
// is not valid percent-encoded UTF-8.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError } from './errors.js';
import { decodePercent } from './percent-encoding.js';
import { ServiceError } from './service-errors.js';
import type { OpenResponses } from './client-errors.js';

/** Seconds a client is told to wait before retrying a replica that is shutting down; others serve meanwhile. */
const SHUTTING_DOWN_RETRY_AFTER_SECONDS = 1;

/**
 * The query string's pairs are checked as written, before Fastify's parser decodes them (leniently: it
 * keeps `%ZZ` as is). The loop is bounded by the request line, which Node caps with the headers (16 KiB).
 */
function checkQueryString(request: FastifyRequest): void {
  const start = request.url.indexOf('?');
  if (start === -1) return;
  for (const pair of request.url.slice(start + 1).split('&')) {
    const split = pair.indexOf('=');
    const encodedName = split === -1 ? pair : pair.slice(0, split);
    const name = decodePercent(encodedName, true);
    if ('problem' in name) throw new ApiError(400, 'bad_request', `querystring: a parameter name ${name.problem}`);
    const value = split === -1 ? { text: '' } : decodePercent(pair.slice(split + 1), true);
    if ('problem' in value) throw new ApiError(400, 'bad_request', `querystring: parameter '${name.text}' ${value.problem}`);
  }
}

/** RFC 9112 §3.2: a server must answer an HTTP/1.1 request without Host with 400 (Node would, with no body). */
function checkHost(request: FastifyRequest): void {
  if (request.raw.httpVersion === '1.1' && request.headers.host === undefined) {
    throw new ApiError(400, 'bad_request', 'an HTTP/1.1 request must carry a Host header');
  }
}

/** `open` learns each response in progress, so client-errors.ts never writes an answer into one. */
export function registerRequestChecks(app: FastifyInstance, open: OpenResponses): void {
  // Fastify's own 503 while closing has its own body shape, so it is off (server.ts) and this answers instead.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  // A keep-alive connection that outlives close() holds it up until the keep-alive timeout; every answer
  // sent while closing therefore ends its connection.
  app.addHook('onSend', async (_request, reply) => {
    if (closing) reply.header('connection', 'close');
  });
  app.addHook('onRequest', async (request, reply) => {
    open.set(request.raw.socket, reply.raw);
    if (closing) throw new ServiceError('shutting_down', 'this replica is shutting down', SHUTTING_DOWN_RETRY_AFTER_SECONDS);
    checkHost(request);
    checkQueryString(request);
  });
}
