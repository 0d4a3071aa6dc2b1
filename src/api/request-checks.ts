// Checks every request passes before any route runs (one onRequest hook on the root), so each route
// sees the same well-formed input: today, a query string that is valid percent-encoded UTF-8.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError } from './errors.js';
import { decodePercent } from './percent-encoding.js';

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

export function registerRequestChecks(app: FastifyInstance): void {
  app.addHook('onRequest', async (request) => {
    checkQueryString(request);
  });
}
