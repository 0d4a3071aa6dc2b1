// GET /metrics in the Prometheus text format, from the process's registry.
import type { FastifyPluginAsync } from 'fastify';
import type { Registry } from 'prom-client';
import { Type } from '@fastify/type-provider-typebox';
import { errorResponses } from '../responses.js';

const METRICS_SCHEMA = {
  operationId: 'metrics',
  summary: 'Prometheus metrics of this replica',
  tags: ['operations'],
  response: {
    200: { description: 'the Prometheus text exposition format', content: { 'text/plain': { schema: Type.String() } } },
    ...errorResponses({}),
  },
};

export const metricsRoutes: FastifyPluginAsync<{ registry: Registry }> = async (app, { registry }) => {
  app.get('/metrics', { schema: METRICS_SCHEMA }, async (_request, reply) => {
    reply.type(registry.contentType);
    return registry.metrics();
  });
};
