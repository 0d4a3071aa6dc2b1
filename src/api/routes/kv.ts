// Single-key reads and writes: PUT/GET/DELETE /v1/kv/<key>, values as raw bytes (docs/design.md §5). Writes go
// through the log via KvService.submit, with If-Match / If-None-Match as CAS; reads are linearizable by
// default (read barrier) or `?consistency=stale`, at the current revision or a past one (`?revision=`).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { KvService } from '../service.js';
import { VALUE_BYTES_MAX_DEFAULT } from '../value-limit.js';
import { ApiError } from '../errors.js';
import { KV_PATH_PREFIX, keyFromUrl } from '../keys.js';
import { readLocal } from '../consistency.js';
import { notModifiedTest, preconditionOf } from '../preconditions.js';
import { answeredAt, expectResult, expectWrite, prevJson } from '../results.js';
import {
  DeleteBody,
  KeyDeleteHeaders,
  KeyDeleteQuery,
  KeyParams,
  KeyPutQuery,
  KeyReadHeaders,
  KeyReadQuery,
  KeyWriteHeaders,
  NoQuery,
  NotModified,
  PutBody,
  ValueBytes,
} from '../schemas.js';
import { ttlMsOf } from '../duration.js';
import { checkContentType, servedContentType } from '../content-type.js';
import { errorResponses, HEADERS, success, THROUGH_THE_LOG, WRITE } from '../responses.js';
import { type KeyedSubmit, keyedSubmit } from '../keyed-submit.js';
import type { RouteDoc } from '../openapi.js';

export interface KvRoutesOptions {
  service: KvService;
  /** Largest request body (bytes) read at all; whether the operation fits one datagram is the submitter's check. */
  valueBytesLimit: number;
}

const KV_ROUTE = `${KV_PATH_PREFIX}*`;
const EMPTY_VALUE = new Uint8Array(0);

/** The router's wildcard is the key: /openapi.json names it (and a PUT's raw body, which no schema checks). */
const KEY_DOC: RouteDoc = { wildcard: 'key', params: KeyParams };
/** The PUT body is the value, up to the value limit; larger than one datagram, it is split (docs/api.md, "Large values"). */
const PUT_VALUE = {
  ...ValueBytes,
  description: `the value: any bytes, up to the server's value limit (default ${VALUE_BYTES_MAX_DEFAULT} bytes, --value-bytes-max); a value larger than one datagram is split into pieces and takes effect, whole, when the last applies`,
};
const PUT_DOC: RouteDoc = { ...KEY_DOC, body: { content: { '*/*': { schema: PUT_VALUE } } } };
const BAD_KEY = ['invalid_key', 'invalid_precondition', 'invalid_content_type'] as const;
const WRITTEN = { ...HEADERS.etag, ...HEADERS.revision };

const GET_SCHEMA = {
  operationId: 'getKey',
  summary: 'Read one key: its exact bytes, under the content type stored with them',
  tags: ['kv'],
  querystring: KeyReadQuery,
  headers: KeyReadHeaders,
  response: {
    200: { description: 'the value', headers: WRITTEN, content: { '*/*': { schema: ValueBytes } } },
    304: success(NotModified, 'the client holds the current ETag (If-None-Match)', WRITTEN),
    ...errorResponses({ 400: [...BAD_KEY, 'future_revision'], 404: ['key_not_found'], 410: ['compacted'], ...THROUGH_THE_LOG }),
  },
};

const PUT_SCHEMA = {
  operationId: 'putKey',
  summary: 'Write the request body as the value of one key, optionally as compare-and-swap or with a lease',
  tags: ['kv'],
  querystring: KeyPutQuery,
  headers: KeyWriteHeaders,
  response: {
    200: success(PutBody, 'written', WRITTEN),
    ...errorResponses({
      400: BAD_KEY,
      404: ['lease_not_found'],
      412: ['precondition_failed'],
      413: ['value_too_large'],
      ...WRITE,
    }),
  },
};

const DELETE_SCHEMA = {
  operationId: 'deleteKey',
  summary: 'Delete one key, optionally as compare-and-swap',
  tags: ['kv'],
  querystring: KeyDeleteQuery,
  headers: KeyDeleteHeaders,
  response: {
    200: success(DeleteBody, 'deleted (deleted is 0 when the key was absent)', HEADERS.revision),
    ...errorResponses({ 400: BAD_KEY, 412: ['precondition_failed'], ...WRITE }),
  },
};

/** The lease a PUT attaches its key to: `?lease=` names one, `?ttl=` grants one for this key alone. */
async function leaseOf(submit: KeyedSubmit, query: { lease?: number; ttl?: string }): Promise<number | undefined> {
  if (query.lease !== undefined && query.ttl !== undefined)
    throw new ApiError(400, 'bad_request', 'querystring: give lease or ttl, not both');
  if (query.ttl === undefined) return query.lease;
  // Granted first, as its own op: should the put then fail, the empty lease simply expires.
  const grant = await submit({ type: 'lease_grant', ttlMs: ttlMsOf('ttl', query.ttl) }, 'lease');
  return expectResult(grant, 'lease').lease;
}

export const kvRoutes: FastifyPluginAsyncTypebox<KvRoutesOptions> = async (app, { service, valueBytesLimit }) => {
  // Values are opaque bytes: whatever the content type, JSON included, the handler sees exactly what was sent.
  // This replaces the parsers of this plugin only; the rest of the server keeps Fastify's defaults.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  // The content type is metadata stored with the value, so a malformed one is a bad request (400), not
  // an unsupported body (415); checked before Fastify reads the body, on every method alike.
  app.addHook('onRequest', async (request) => {
    const contentType = request.headers['content-type'];
    if (contentType !== undefined) checkContentType('Content-Type', contentType);
  });

  // The key is decoded from the raw URL by keys.ts rather than taken from the router's params, so one
  // decoder decides what a key is, and the same one explains URLs the router rejected.
  app.get(KV_ROUTE, { config: { openapi: KEY_DOC }, schema: GET_SCHEMA }, async (request, reply) => {
    const key = keyFromUrl(request.url);
    const heldByClient = notModifiedTest(request.headers);
    const { consistency, revision } = request.query;
    const result = await readLocal(service, consistency, async (local) =>
      revision === undefined ? local.readKey(key) : answeredAt(await local.readKeyAt(key, revision), revision),
    );
    const revisionHeader = { 'x-mrtom-revision': String(result.revision) };
    if (result.record === null) {
      throw new ApiError(404, 'key_not_found', `no value is stored under this key at revision ${result.revision}`, revisionHeader);
    }
    const { value, contentType, modRevision } = result.record;
    reply.headers(revisionHeader).header('etag', `"${modRevision}"`);
    if (heldByClient?.(modRevision) === true) return reply.code(304).send(null);
    return reply.type(servedContentType(contentType)).send(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
  });

  app.put(KV_ROUTE, { bodyLimit: valueBytesLimit, config: { openapi: PUT_DOC }, schema: PUT_SCHEMA }, async (request, reply) => {
    const key = keyFromUrl(request.url);
    const require = preconditionOf(request.headers);
    const contentType = request.headers['content-type'];
    // No body and no content type means Fastify ran no parser; that is an empty value.
    const value = request.body instanceof Uint8Array ? request.body : EMPTY_VALUE;
    const submit = keyedSubmit(service, request.headers);
    const lease = await leaseOf(submit, request.query);
    const op = {
      type: 'put' as const,
      key,
      value,
      ...(contentType === undefined ? {} : { contentType }),
      ...(require === undefined ? {} : { require }),
      ...(lease === undefined ? {} : { lease }),
      ...(request.query.prev === true ? { prev: true as const } : {}),
    };
    const result = expectWrite(await submit(op), 'put');
    reply.headers({ etag: `"${result.modRevision}"`, 'x-mrtom-revision': String(result.revision) });
    // A lease `?ttl=` granted for this key is named, so the caller can keep it alive.
    const granted = request.query.ttl === undefined ? {} : { lease };
    return { revision: result.revision, ...granted, ...prevJson(result.prev) };
  });

  app.delete(KV_ROUTE, { config: { openapi: KEY_DOC }, schema: DELETE_SCHEMA }, async (request, reply) => {
    const key = keyFromUrl(request.url);
    const require = preconditionOf(request.headers);
    const op = {
      type: 'delete' as const,
      key,
      ...(require === undefined ? {} : { require }),
      ...(request.query.prev === true ? { prev: true as const } : {}),
    };
    const result = expectWrite(await keyedSubmit(service, request.headers)(op), 'delete');
    reply.header('x-mrtom-revision', String(result.revision));
    return { revision: result.revision, deleted: result.deleted, ...prevJson(result.prev) };
  });
};
