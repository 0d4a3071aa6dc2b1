// HTTP request metrics for every route, recorded in one onResponse hook (STYLE.md §4): a count and a
// latency histogram by route pattern (never the raw URL, whose keys would explode the label set),
// method and status code.
import type { FastifyInstance } from 'fastify';
import { Counter, Histogram, type Registry } from 'prom-client';

/** Latency buckets in seconds: loopback commits take about a millisecond, timeouts several seconds. */
const LATENCY_BUCKETS_SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export function registerHttpMetrics(app: FastifyInstance, registry: Registry): void {
  const labelNames = ['route', 'method', 'code'] as const;
  const requests = new Counter({
    name: 'mrtom_http_requests_total',
    help: 'HTTP requests answered, by route, method and status code',
    labelNames,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'mrtom_http_request_duration_seconds',
    help: 'HTTP request latency from arrival to response sent, by route, method and status code',
    labelNames,
    buckets: LATENCY_BUCKETS_SECONDS,
    registers: [registry],
  });
  app.addHook('onResponse', async (request, reply) => {
    const labels = { route: request.routeOptions.url ?? 'unmatched', method: request.method, code: String(reply.statusCode) };
    requests.inc(labels);
    latency.observe(labels, reply.elapsedTime / 1000);
  });
}
