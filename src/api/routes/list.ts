// Prefix listing and prefix deletion on /v1/kv (no key): GET pages through keys in byte order, at the
// current revision or a past one; DELETE removes a prefix through the log, at most DELETE_RANGE_KEYS_MAX
// keys per request.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { KvService } from '../service.js';
import { readLocal } from '../consistency.js';
import { checkPrefix } from '../keys.js';
import { answeredAt, expectResult, toItem } from '../results.js';
import { ApiError } from '../errors.js';
import { decodePageToken, encodePageToken } from '../page-token.js';
import { DeletePrefixBody, DeletePrefixQuery, LIST_LIMIT_DEFAULT, ListBody, ListQuery, WriteHeaders } from '../schemas.js';
import { errorResponses, HEADERS, success, THROUGH_THE_LOG, WRITE } from '../responses.js';
import { keyedSubmit } from '../keyed-submit.js';

const LIST_ROUTE = '/v1/kv';

const LIST_SCHEMA = {
  operationId: 'listKeys',
  summary: 'List the keys under a prefix in byte order, a page at a time',
  tags: ['kv'],
  querystring: ListQuery,
  response: {
    200: success(ListBody, 'one page, at one revision', HEADERS.revision),
    ...errorResponses({ 400: ['invalid_key', 'future_revision'], 410: ['compacted'], ...THROUGH_THE_LOG }),
  },
};

const DELETE_PREFIX_SCHEMA = {
  operationId: 'deletePrefix',
  summary: 'Delete the keys under a prefix, at most 1000 per request',
  tags: ['kv'],
  querystring: DeletePrefixQuery,
  headers: WriteHeaders,
  response: {
    200: success(DeletePrefixBody, 'deleted at one revision', HEADERS.revision),
    ...errorResponses({ 400: ['invalid_key'], 415: ['unsupported_media_type'], ...WRITE }),
  },
};

export const listRoutes: FastifyPluginAsyncTypebox<{ service: KvService }> = async (app, { service }) => {
  app.get(LIST_ROUTE, { schema: LIST_SCHEMA }, async (request, reply) => {
    const { prefix = '', limit = LIST_LIMIT_DEFAULT, keysOnly = false, encoding = 'base64', consistency } = request.query;
    const { after, revision } = cursorOf(request.query);
    const query = { prefix: checkPrefix('querystring/prefix', prefix), limit, ...(after === undefined ? {} : { after }) };
    // One snapshot, so the page is exactly the state at `revision`. `continue` keeps every page of a
    // listing at its first page's revision; `after` alone continues at whatever revision is current.
    const page = await readLocal(service, consistency, async (local) =>
      revision === undefined ? local.readRange(query) : answeredAt(await local.readRangeAt(query, revision), revision),
    );
    reply.header('x-mrtom-revision', String(page.revision));
    return {
      revision: page.revision,
      items: page.entries.map((entry) => toItem(entry, keysOnly ? 'none' : encoding)),
      next: page.next,
      continue: page.next === null ? null : encodePageToken({ revision: page.revision, after: page.next }),
    };
  });

  app.delete(LIST_ROUTE, { schema: DELETE_PREFIX_SCHEMA }, async (request, reply) => {
    const prefix = checkPrefix('querystring/prefix', request.query.prefix);
    const result = expectResult(await keyedSubmit(service, request.headers)({ type: 'delete_range', prefix }), 'delete_range');
    reply.header('x-mrtom-revision', String(result.revision));
    return { revision: result.revision, deleted: result.deleted, more: result.more };
  });
};

/** Where a page starts and at which revision: from a `continue` token, or from `after` and `revision`. */
function cursorOf(query: { after?: string; revision?: number; continue?: string }): { after?: string; revision?: number } {
  if (query.continue === undefined) {
    return {
      ...(query.after === undefined ? {} : { after: checkPrefix('querystring/after', query.after) }),
      ...(query.revision === undefined ? {} : { revision: query.revision }),
    };
  }
  if (query.after !== undefined || query.revision !== undefined) {
    throw new ApiError(
      400,
      'bad_request',
      'querystring: continue carries the page start and revision; give neither after nor revision with it',
    );
  }
  return decodePageToken('querystring/continue', query.continue);
}
