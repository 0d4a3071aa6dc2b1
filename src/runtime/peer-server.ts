// The peer listener: replica-to-replica HTTP (snapshot transfer, peer readiness, the leader's lease
// countdown) on a port of its own, never on the client API's. With a cluster key every request must carry
// the bearer derived from it (cluster-key.ts); without one, the listener is open and startup warns when it
// is not on loopback. With peer TLS it serves HTTPS and admits only peers whose certificate its CA signed.
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import { ApiError, registerErrorHandlers } from '../api/errors.js';
import type { SnapshotRecord } from '../store/snapshot.js';
import { checkPeerAuthorization, type PeerAuthVerdict } from './cluster-key.js';
import { snapshotRoutes } from './snapshot-transfer.js';
import { leaseRemainingRoutes } from './lease-remaining.js';
import type { TlsServerMaterial } from './tls-files.js';

export const PEER_READY_PATH = '/internal/v1/ready';
const PEER_CHALLENGE = { 'www-authenticate': 'Bearer realm="mrtom-kv peer"' };

export interface PeerServerOptions {
  logger: Logger;
  registry: Registry;
  /** HTTPS, requiring a client certificate signed by its CA (mutual TLS); absent = plain HTTP. */
  tls?: TlsServerMaterial;
  /** Absent: requests are not authenticated. */
  clusterKey?: Buffer;
  snapshot(): AsyncIterable<SnapshotRecord>;
  /** Whether this replica can serve (its /readyz verdict), for the peers' /v1/status. */
  ready(): boolean;
  /** This replica's own countdown of a lease (null unless it leads and counts it). */
  leaseRemainingMs(lease: number): number | null;
}

export function buildPeerServer(options: PeerServerOptions): FastifyInstance {
  const logger: FastifyBaseLogger = options.logger;
  const app = Fastify({
    loggerInstance: logger,
    logController: new LogController({ disableRequestLogging: true }),
    ...(options.tls === undefined ? {} : { https: options.tls }),
  });
  registerErrorHandlers(app);
  const { clusterKey } = options;
  if (clusterKey !== undefined) {
    const rejected = new Counter({
      name: 'mrtom_replica_peer_requests_rejected_total',
      help: 'Requests to the peer listener refused with 401, by reason (missing-key, wrong-key)',
      labelNames: ['reason'],
      registers: [options.registry],
    });
    // Both series exist from the start, so a rate() over them sees the first refusal.
    for (const reason of ['missing-key', 'wrong-key'] satisfies PeerAuthVerdict[]) rejected.inc({ reason }, 0);
    app.addHook('onRequest', async (request) => {
      const verdict = checkPeerAuthorization(request.headers.authorization, clusterKey);
      if (verdict === 'ok') return;
      rejected.inc({ reason: verdict });
      request.log.warn({ reason: verdict, remote: request.ip, path: request.url }, 'peer request refused');
      throw new ApiError(401, 'unauthorized', `the peer listener needs the cluster key's bearer (${verdict})`, PEER_CHALLENGE);
    });
  }
  app.get(PEER_READY_PATH, async (_request, reply) => {
    const ready = options.ready();
    return reply.code(ready ? 200 : 503).send({ ready });
  });
  void app.register(snapshotRoutes, { snapshot: options.snapshot });
  void app.register(leaseRemainingRoutes, { remainingMs: options.leaseRemainingMs });
  return app;
}
