// GET /v1/status: this replica's id, protocol status, view, session, sequencer, commit and applied slots,
// store revision, and its peers' readiness (etcdctl endpoint status, ecosystem.md §3).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { KvService } from '../service.js';
import { ErrorBody, StatusBody } from '../schemas.js';

export const statusRoutes: FastifyPluginAsyncTypebox<{ service: KvService }> = async (app, { service }) => {
  app.get('/v1/status', { schema: { response: { 200: StatusBody, '5xx': ErrorBody } } }, async () => service.status());
};
