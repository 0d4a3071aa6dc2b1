// POST /v1/txn: compare / success / failure in etcd's spirit, applied atomically at one revision through
// the log. The number of compares and ops is limited (txnOpsMax) so one apply stays bounded, and the put
// values of both branches together to the value limit of a PUT, which the submitter splits into pieces
// when they do not fit one datagram (docs/api.md, "Large values").
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { KvService } from '../service.js';
import { ApiError } from '../errors.js';
import { expectResult } from '../results.js';
import { NoQuery, TxnBody, txnRequestSchema, WriteHeaders } from '../schemas.js';
import { errorResponses, HEADERS, success, WRITE } from '../responses.js';
import { keyedSubmit } from '../keyed-submit.js';
import { toTxn, toTxnResults } from '../txn-request.js';
import { txnValueBytes } from '../../store/txn.js';

/** Compares plus ops of both branches a txn may hold unless the server is configured otherwise. */
export const TXN_OPS_MAX_DEFAULT = 128;

/** Fastify's body limit, which every other JSON body keeps. */
const JSON_BODY_BYTES_LIMIT = 1024 * 1024;

export interface TxnRoutesOptions {
  service: KvService;
  txnOpsMax: number;
  /** Put values of both branches together, in bytes, at most. */
  valueBytesLimit: number;
}

export const txnRoutes: FastifyPluginAsyncTypebox<TxnRoutesOptions> = async (app, { service, txnOpsMax, valueBytesLimit }) => {
  const body = txnRequestSchema(txnOpsMax);
  app.post(
    '/v1/txn',
    {
      // The values travel in base64 (4 bytes per 3), beside keys and compares as large as any JSON body's.
      bodyLimit: Math.ceil(valueBytesLimit / 3) * 4 + JSON_BODY_BYTES_LIMIT,
      schema: {
        operationId: 'txn',
        summary: 'Compare, then run the success or the failure ops, atomically at one revision',
        tags: ['txn'],
        querystring: NoQuery,
        headers: WriteHeaders,
        body,
        response: {
          200: success(TxnBody, 'the branch that ran and its results', HEADERS.revision),
          ...errorResponses({
            400: ['invalid_key', 'invalid_content_type'],
            413: ['too_many_ops', 'value_too_large'],
            415: ['unsupported_media_type'],
            ...WRITE,
          }),
        },
      },
    },
    async (request, reply) => {
      const { compare = [], success = [], failure = [] } = request.body;
      const count = compare.length + success.length + failure.length;
      if (count > txnOpsMax) {
        throw new ApiError(413, 'too_many_ops', `txn holds ${count} compares and ops; the limit is ${txnOpsMax}`);
      }
      const txn = toTxn({ compare, success, failure });
      const valueBytes = txnValueBytes(txn);
      if (valueBytes > valueBytesLimit) {
        throw new ApiError(413, 'value_too_large', `txn put values total ${valueBytes} bytes; the limit is ${valueBytesLimit}`);
      }
      const result = expectResult(await keyedSubmit(service, request.headers)({ type: 'txn', txn }), 'txn');
      reply.header('x-mrtom-revision', String(result.revision));
      return { revision: result.revision, succeeded: result.succeeded, results: toTxnResults(txn, result.succeeded, result.results) };
    },
  );
};
