// The sequencer's small HTTP side door: /livez and /metrics for probes and Prometheus. It carries no
// protocol traffic; the data plane is UDP only.
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { metricsRoutes } from '../api/routes/metrics.js';

export async function startMetricsServer(options: {
  host: string;
  port: number;
  registry: Registry;
  logger: Logger;
}): Promise<FastifyInstance> {
  const logger: FastifyBaseLogger = options.logger;
  const app = Fastify({ loggerInstance: logger, logController: new LogController({ disableRequestLogging: true }) });
  app.get('/livez', async () => ({ status: 'ok' }));
  await app.register(metricsRoutes, { registry: options.registry });
  await app.listen({ host: options.host, port: options.port });
  return app;
}
