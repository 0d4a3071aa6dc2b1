// Admin compaction: POST /v1/compact?revision=N raises the compact revision to N through the log, so
// every replica compacts at the same point of the history; it never lowers it (docs/api.md, compact).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { KvService } from '../service.js';
import { expectResult, futureRevision } from '../results.js';
import { CompactBody, CompactQuery } from '../schemas.js';
import { errorResponses, HEADERS, success, THROUGH_THE_LOG } from '../responses.js';

const COMPACT_SCHEMA = {
  operationId: 'compact',
  summary: 'Make the history before a revision unreadable, on every replica (raise-only)',
  tags: ['kv'],
  querystring: CompactQuery,
  response: {
    200: success(CompactBody, 'the compact revision now in force', HEADERS.revision),
    ...errorResponses({ 400: ['future_revision'], 415: ['unsupported_media_type'], ...THROUGH_THE_LOG }),
  },
};

export const compactRoutes: FastifyPluginAsyncTypebox<{ service: KvService }> = async (app, { service }) => {
  app.post('/v1/compact', { schema: COMPACT_SCHEMA }, async (request, reply) => {
    const result = await service.submit({ type: 'compact', revision: request.query.revision });
    if (result.type === 'future_revision') throw futureRevision(request.query.revision, result.revision);
    const compacted = expectResult(result, 'compact');
    reply.header('x-mrtom-revision', String(compacted.revision));
    return { revision: compacted.revision, compactRevision: compacted.compactRevision };
  });
};
