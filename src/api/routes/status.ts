// GET /v1/status: this replica's id, protocol status, view, session, sequencer, commit and applied slots,
// store revision, and its peers' readiness (etcdctl endpoint status, ecosystem.md §3).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { KvService } from '../service.js';
import { NoQuery, StatusBody } from '../schemas.js';
import { errorResponses, success } from '../responses.js';

const STATUS_SCHEMA = {
  operationId: 'getStatus',
  summary: "This replica's position in the protocol and its peers' readiness",
  tags: ['operations'],
  querystring: NoQuery,
  response: { 200: success(StatusBody, 'the status'), ...errorResponses({}) },
};

export const statusRoutes: FastifyPluginAsyncTypebox<{ service: KvService }> = async (app, { service }) => {
  app.get('/v1/status', { schema: STATUS_SCHEMA }, async () => service.status());
};
