// Builds the HTTP front of one replica from a KvService: routes, error mapping, logging. The caller
// owns listen() and close(); nothing here opens sockets, disks or the protocol.
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { TlsOptions } from 'node:tls';
import type { KvService } from './service.js';
import type { TokenRecord } from '../store/token-table.js';
import { registerErrorHandlers, sendError } from './errors.js';
import { badUrlError } from './keys.js';
import { healthRoutes } from './routes/health.js';
import { kvRoutes } from './routes/kv.js';
import { metricsRoutes } from './routes/metrics.js';
import { listRoutes } from './routes/list.js';
import { statusRoutes } from './routes/status.js';
import { TXN_OPS_MAX_DEFAULT, txnRoutes } from './routes/txn.js';
import { watchRoutes } from './routes/watch.js';
import { leaseRoutes } from './routes/leases.js';
import { compactRoutes } from './routes/compact.js';
import { registerHttpMetrics } from './http-metrics.js';
import { registerOpenApi } from './openapi.js';
import { validatorCompiler } from './validator.js';
import { registerRequestChecks } from './request-checks.js';
import { answerExpectations, clientErrorHandler, type OpenResponses } from './client-errors.js';
import { fastifyTimeoutOptions, requestTimeoutsOf } from './http-timeouts.js';
import { type AuthTokens, registerAuth } from './auth/auth-hooks.js';
import { tokenRoutes } from './routes/tokens.js';
import { VALUE_BYTES_MAX_DEFAULT } from './value-limit.js';

export interface ApiServerOptions {
  service: KvService;
  logger: Logger;
  /** Bearer tokens on every route (docs/api.md, Authentication); absent: no auth, as before M8. */
  auth?: { tokens: AuthTokens & { list: () => TokenRecord[] }; openOperations: boolean; failuresPerAddressMax?: number };
  /** The largest PUT body, which is the value, and the most a txn's put values total (value-limit.ts);
   *  default VALUE_BYTES_MAX_DEFAULT. */
  valueBytesLimit?: number;
  /** Compares plus ops a txn may hold; more is 413. */
  txnOpsMax?: number;
  /** Time for a request's headers to arrive; default HEADERS_TIMEOUT_MS_DEFAULT (http-timeouts.ts). */
  headersTimeoutMs?: number;
  /** Time for a whole request, headers and body, to arrive; default REQUEST_TIMEOUT_MS_DEFAULT. */
  requestTimeoutMs?: number;
  metrics: Registry;
  /** Serves HTTPS with these (src/runtime/tls-files.ts); absent = plain HTTP. */
  tls?: TlsOptions;
}

export function buildApiServer(options: ApiServerOptions): FastifyInstance {
  // Widened to Fastify's logger type so the instance is a plain FastifyInstance; the routes get their
  // TypeBox typing from FastifyPluginAsyncTypebox.
  const logger: FastifyBaseLogger = options.logger;
  const openResponses: OpenResponses = new WeakMap();
  const timeouts = requestTimeoutsOf(options);
  const { requestTimeout, http } = fastifyTimeoutOptions(timeouts);
  const nodeServerOptions = { ...http, requireHostHeader: false };
  const app = Fastify({
    loggerInstance: logger,
    // Per-request lines would dominate the log at load; errors are logged in errors.ts.
    logController: new LogController({ disableRequestLogging: true }),
    // Errors raised while routing (a URL the router cannot percent-decode) bypass setErrorHandler.
    frameworkErrors: (err, request, reply) => sendError(err.code === 'FST_ERR_BAD_URL' ? badUrlError(request.url) : err, request, reply),
    // Errors before routing, and the answers while closing, are ours (client-errors.ts, request-checks.ts).
    clientErrorHandler: clientErrorHandler(timeouts, openResponses),
    return503OnClosing: false,
    requestTimeout,
    http: nodeServerOptions,
    // Node's https server takes the same server options as http's, plus the TLS ones.
    ...(options.tls === undefined ? {} : { https: { ...nodeServerOptions, ...options.tls } }),
  });
  // Every request part is checked strictly, and every problem of a request is reported at once.
  app.setValidatorCompiler(validatorCompiler);

  registerErrorHandlers(app);
  registerRequestChecks(app, openResponses);
  answerExpectations(app);
  registerHttpMetrics(app, options.metrics);
  // Registered first so it sees every route registered after it.
  registerOpenApi(app, options.auth === undefined ? undefined : { openOperations: options.auth.openOperations });
  if (options.auth !== undefined) {
    registerAuth(app, { ...options.auth, registry: options.metrics });
    void app.register(tokenRoutes, { service: options.service, list: () => options.auth!.tokens.list() });
  }
  void app.register(healthRoutes, { service: options.service });
  void app.register(metricsRoutes, { registry: options.metrics });
  void app.register(listRoutes, { service: options.service });
  void app.register(statusRoutes, { service: options.service });
  void app.register(watchRoutes, { service: options.service, registry: options.metrics });
  void app.register(leaseRoutes, { service: options.service });
  void app.register(compactRoutes, { service: options.service });
  const valueBytesLimit = options.valueBytesLimit ?? VALUE_BYTES_MAX_DEFAULT;
  void app.register(txnRoutes, { service: options.service, txnOpsMax: options.txnOpsMax ?? TXN_OPS_MAX_DEFAULT, valueBytesLimit });
  void app.register(kvRoutes, { service: options.service, valueBytesLimit });
  return app;
}
