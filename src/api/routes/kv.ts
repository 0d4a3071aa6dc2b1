// Single-key reads and writes: PUT/GET/DELETE /v1/kv/<key>, values as raw bytes (DESIGN.md §5).
// Every operation goes through the log via KvService.submit, so each answer is linearizable.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { OpResult } from '../../store/ops.js';
import type { KvService } from '../service.js';
import { ApiError } from '../errors.js';
import { KV_PATH_PREFIX, keyFromUrl } from '../keys.js';
import { DeleteBody, ErrorBody, PutBody, ValueBytes } from '../schemas.js';

export interface KvRoutesOptions {
  service: KvService;
  /** Largest request body (bytes) read at all, whatever valueBytesMax says. */
  valueBytesLimit: number;
}

const KV_ROUTE = `${KV_PATH_PREFIX}*`;
const KV_METHODS = ['GET', 'HEAD', 'PUT', 'DELETE'];
const ERROR_RESPONSES = { '4xx': ErrorBody, '5xx': ErrorBody };
const EMPTY_VALUE = new Uint8Array(0);

/** We built the op, so a result of another type (or `invalid`) is our bug; it surfaces as 500. */
function expectResult<T extends OpResult['type']>(result: OpResult, type: T): Extract<OpResult, { type: T }> {
  if (result.type === type) return result as Extract<OpResult, { type: T }>;
  const reason = result.type === 'invalid' ? `: ${result.reason}` : '';
  throw new Error(`expected a ${type} result, got ${result.type}${reason}`);
}

export const kvRoutes: FastifyPluginAsyncTypebox<KvRoutesOptions> = async (app, { service, valueBytesLimit }) => {
  // Values are opaque bytes: whatever the content type, JSON included, the handler sees exactly what was sent.
  // This replaces the parsers of this plugin only; the rest of the server keeps Fastify's defaults.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  // The key is decoded from the raw URL by keys.ts rather than taken from the router's params, so one
  // decoder decides what a key is, and the same one explains URLs the router rejected.
  app.get(KV_ROUTE, { schema: { response: { 200: { content: { '*/*': { schema: ValueBytes } } }, ...ERROR_RESPONSES } } }, async (request, reply) => {
    const key = keyFromUrl(request.url);
    const txn = expectResult(await service.submit({ type: 'txn', txn: { compare: [], success: [{ type: 'get', key }], failure: [] } }), 'txn');
    const read = txn.results[0]!;
    if (read.type !== 'get') throw new Error(`expected a get result, got ${read.type}`);
    const result = { revision: txn.revision, record: read.record };
    const revisionHeader = { 'x-mrtom-revision': String(result.revision) };
    if (result.record === null) {
      throw new ApiError(404, 'key_not_found', `no value is stored under this key at revision ${result.revision}`, revisionHeader);
    }
    const { value, contentType, modRevision } = result.record;
    return reply
      .headers(revisionHeader)
      .header('etag', `"${modRevision}"`)
      .type(contentType ?? 'application/octet-stream')
      .send(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
  });

  app.put(
    KV_ROUTE,
    { bodyLimit: valueBytesLimit, schema: { response: { 200: PutBody, ...ERROR_RESPONSES } } },
    async (request, reply) => {
      const key = keyFromUrl(request.url);
      const contentType = request.headers['content-type'];
      // No body and no content type means Fastify ran no parser; that is an empty value.
      const value = request.body instanceof Uint8Array ? request.body : EMPTY_VALUE;
      const valueBytesMax = service.valueBytesMax(key, contentType);
      if (value.byteLength > valueBytesMax) {
        throw new ApiError(
          413,
          'value_too_large',
          `value of ${value.byteLength} bytes does not fit one datagram: at most ${valueBytesMax} bytes fit with this key and content type, and values are not yet split across datagrams`,
        );
      }
      const op = contentType === undefined ? { type: 'put' as const, key, value } : { type: 'put' as const, key, value, contentType };
      const result = expectResult(await service.submit(op), 'put');
      reply.headers({ etag: `"${result.modRevision}"`, 'x-mrtom-revision': String(result.revision) });
      return { revision: result.revision };
    },
  );

  app.delete(KV_ROUTE, { schema: { response: { 200: DeleteBody, ...ERROR_RESPONSES } } }, async (request, reply) => {
    const key = keyFromUrl(request.url);
    const result = expectResult(await service.submit({ type: 'delete', key }), 'delete');
    reply.header('x-mrtom-revision', String(result.revision));
    return { revision: result.revision, deleted: result.deleted };
  });

  const allow = KV_METHODS.join(', ');
  app.route({
    method: app.supportedMethods.filter((method) => !KV_METHODS.includes(method)),
    url: KV_ROUTE,
    schema: { response: ERROR_RESPONSES },
    handler: async (request) => {
      throw new ApiError(405, 'method_not_allowed', `${request.method} is not supported on keys; use ${allow}`, { allow });
    },
  });
};
