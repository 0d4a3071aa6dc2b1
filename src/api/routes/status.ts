// GET /v1/status: this replica's id, protocol status, view, session, sequencer, commit and applied slots,
// store revision, and its peers' readiness (etcdctl endpoint status, ecosystem.md §3).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { KvService } from '../service.js';
import { ErrorBody, NoQuery, StatusBody } from '../schemas.js';

export const statusRoutes: FastifyPluginAsyncTypebox<{ service: KvService }> = async (app, { service }) => {
  app.get('/v1/status', { schema: { querystring: NoQuery, response: { 200: StatusBody, '4xx': ErrorBody, '5xx': ErrorBody } } }, async () =>
    service.status(),
  );
};
