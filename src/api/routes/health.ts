// Liveness and readiness probes, shaped like Kubernetes' /livez and /readyz (ecosystem.md §1.3).
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { KvService, NodeHealth } from '../service.js';
import { LiveBody, NotReadyBody, ProbeText, ReadyBody, ReadyzQuery } from '../schemas.js';

/** Kubernetes' verbose probe format: one `[+]`/`[-]` line per check, then the verdict. */
function formatChecks(health: NodeHealth): string {
  const lines = health.checks.map((check) => (check.ok ? `[+]${check.name} ok` : `[-]${check.name} failed: ${check.detail}`));
  lines.push(health.ready ? 'readyz check passed' : 'readyz check failed');
  return `${lines.join('\n')}\n`;
}

export const healthRoutes: FastifyPluginAsyncTypebox<{ service: KvService }> = async (app, { service }) => {
  // Answering at all is the liveness signal: the process is up and its event loop is turning.
  app.get('/livez', { schema: { response: { 200: LiveBody } } }, async () => ({ status: 'ok' as const }));

  app.get(
    '/readyz',
    {
      schema: {
        querystring: ReadyzQuery,
        response: {
          200: { content: { 'application/json': { schema: ReadyBody }, 'text/plain': { schema: ProbeText } } },
          503: { content: { 'application/json': { schema: NotReadyBody }, 'text/plain': { schema: ProbeText } } },
        },
      },
    },
    async (request, reply) => {
      const health = service.health();
      reply.code(health.ready ? 200 : 503);
      const verbose = request.query.verbose !== undefined && request.query.verbose !== 'false';
      if (verbose) return reply.type('text/plain; charset=utf-8').send(formatChecks(health));
      return health.ready ? { status: 'ready' as const } : { status: 'not_ready' as const, checks: health.checks };
    },
  );
};
