// Single-key reads and writes: PUT/GET/DELETE /v1/kv/<key>, values as raw bytes (docs/design.md §5). Writes go
// through the log via KvService.submit, with If-Match / If-None-Match as CAS; reads are linearizable by
// default (read barrier) or `?consistency=stale`.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { KvService } from '../service.js';
import { ApiError } from '../errors.js';
import { KV_PATH_PREFIX, keyFromUrl } from '../keys.js';
import { readLocal } from '../consistency.js';
import { notModifiedTest, preconditionOf } from '../preconditions.js';
import { expectResult, expectWrite } from '../results.js';
import { DeleteBody, ErrorBody, KeyPutQuery, KeyReadQuery, NoQuery, NotModified, PutBody, ValueBytes } from '../schemas.js';
import { ttlMsOf } from '../duration.js';
import { checkContentType, servedContentType } from '../content-type.js';

export interface KvRoutesOptions {
  service: KvService;
  /** Largest request body (bytes) read at all; whether the operation fits one datagram is the submitter's check. */
  valueBytesLimit: number;
}

const KV_ROUTE = `${KV_PATH_PREFIX}*`;
const ERROR_RESPONSES = { '4xx': ErrorBody, '5xx': ErrorBody };
const EMPTY_VALUE = new Uint8Array(0);

/** The lease a PUT attaches its key to: `?lease=` names one, `?ttl=` grants one for this key alone. */
async function leaseOf(service: KvService, query: { lease?: number; ttl?: string }): Promise<number | undefined> {
  if (query.lease !== undefined && query.ttl !== undefined)
    throw new ApiError(400, 'bad_request', 'querystring: give lease or ttl, not both');
  if (query.ttl === undefined) return query.lease;
  // Granted first, as its own op: should the put then fail, the empty lease simply expires.
  const grant = await service.submit({ type: 'lease_grant', ttlMs: ttlMsOf('ttl', query.ttl) });
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
  app.get(
    KV_ROUTE,
    {
      schema: {
        querystring: KeyReadQuery,
        response: { 200: { content: { '*/*': { schema: ValueBytes } } }, 304: NotModified, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const key = keyFromUrl(request.url);
      const heldByClient = notModifiedTest(request.headers);
      const result = await readLocal(service, request.query.consistency, (local) => local.readKey(key));
      const revisionHeader = { 'x-mrtom-revision': String(result.revision) };
      if (result.record === null) {
        throw new ApiError(404, 'key_not_found', `no value is stored under this key at revision ${result.revision}`, revisionHeader);
      }
      const { value, contentType, modRevision } = result.record;
      reply.headers(revisionHeader).header('etag', `"${modRevision}"`);
      if (heldByClient?.(modRevision) === true) return reply.code(304).send(null);
      return reply.type(servedContentType(contentType)).send(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
    },
  );

  app.put(
    KV_ROUTE,
    { bodyLimit: valueBytesLimit, schema: { querystring: KeyPutQuery, response: { 200: PutBody, ...ERROR_RESPONSES } } },
    async (request, reply) => {
      const key = keyFromUrl(request.url);
      const require = preconditionOf(request.headers);
      const contentType = request.headers['content-type'];
      // No body and no content type means Fastify ran no parser; that is an empty value.
      const value = request.body instanceof Uint8Array ? request.body : EMPTY_VALUE;
      const lease = await leaseOf(service, request.query);
      const op = {
        type: 'put' as const,
        key,
        value,
        ...(contentType === undefined ? {} : { contentType }),
        ...(require === undefined ? {} : { require }),
        ...(lease === undefined ? {} : { lease }),
      };
      const result = expectWrite(await service.submit(op), 'put');
      reply.headers({ etag: `"${result.modRevision}"`, 'x-mrtom-revision': String(result.revision) });
      return { revision: result.revision };
    },
  );

  app.delete(KV_ROUTE, { schema: { querystring: NoQuery, response: { 200: DeleteBody, ...ERROR_RESPONSES } } }, async (request, reply) => {
    const key = keyFromUrl(request.url);
    const require = preconditionOf(request.headers);
    const result = expectWrite(await service.submit({ type: 'delete', key, ...(require === undefined ? {} : { require }) }), 'delete');
    reply.header('x-mrtom-revision', String(result.revision));
    return { revision: result.revision, deleted: result.deleted };
  });
};
