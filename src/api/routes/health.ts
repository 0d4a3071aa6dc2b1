// Liveness and readiness probes, shaped like Kubernetes' /livez and /readyz (ecosystem.md §1.3).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { KvService, NodeHealth } from '../service.js';
import { LiveBody, NotReadyBody, ProbeText, ReadyBody, ReadyzQuery } from '../schemas.js';
import { errorBody, errorResponses, success } from '../responses.js';
import { Type } from '@fastify/type-provider-typebox';

const LIVEZ_SCHEMA = {
  operationId: 'livez',
  summary: 'Liveness: the process is up and serving',
  tags: ['operations'],
  response: { 200: success(LiveBody, 'alive'), ...errorResponses({}) },
};

const READYZ_SCHEMA = {
  operationId: 'readyz',
  summary: 'Readiness: the replica can serve (?verbose: one line per check, as Kubernetes probes print)',
  tags: ['operations'],
  querystring: ReadyzQuery,
  response: {
    ...errorResponses({}),
    200: { description: 'ready', content: { 'application/json': { schema: ReadyBody }, 'text/plain': { schema: ProbeText } } },
    // Not ready is an answer of the probe, not an error; a node stopping answers shutting_down instead.
    503: {
      description: 'not ready: the failing checks; or shutting_down while the node stops',
      content: {
        'application/json': { schema: Type.Union([NotReadyBody, errorBody(['shutting_down'])]) },
        'text/plain': { schema: ProbeText },
      },
    },
  },
};

/** Kubernetes' verbose probe format: one `[+]`/`[-]` line per check, then the verdict. */
function formatChecks(health: NodeHealth): string {
  const lines = health.checks.map((check) => (check.ok ? `[+]${check.name} ok` : `[-]${check.name} failed: ${check.detail}`));
  lines.push(health.ready ? 'readyz check passed' : 'readyz check failed');
  return `${lines.join('\n')}\n`;
}

export const healthRoutes: FastifyPluginAsyncTypebox<{ service: KvService }> = async (app, { service }) => {
  // Answering at all is the liveness signal: the process is up and its event loop is turning.
  app.get('/livez', { schema: LIVEZ_SCHEMA }, async () => ({ status: 'ok' as const }));

  app.get('/readyz', { schema: READYZ_SCHEMA }, async (request, reply) => {
    const health = service.health();
    reply.code(health.ready ? 200 : 503);
    const verbose = request.query.verbose !== undefined && request.query.verbose !== 'false';
    if (verbose) return reply.type('text/plain; charset=utf-8').send(formatChecks(health));
    return health.ready ? { status: 'ready' as const } : { status: 'not_ready' as const, checks: health.checks };
  });
};
