// One replica as an OS process: opens its LevelDB, binds its UDP endpoint, starts the replica process
// (replica-process.ts) over those real ports, and serves the HTTP API (TLS when configured) and the peer
// listener (peer-server.ts), each part built from the ones before it. Shutdown answers waiting callers
// first, then stops the protocol and closes the store.
import dgram from 'node:dgram';
import { randomInt } from 'node:crypto';
import { resolve as resolvePath } from 'node:path';
import type { Logger } from 'pino';
import type { FastifyInstance } from 'fastify';
import type { Server as TlsServer } from 'node:tls';
import { peerPortOf, type ClusterConfig, type ReplicaEndpoint } from '../config/cluster.js';
import { faultsToleratedOf } from '../mrtom/group.js';
import { U32_MAX } from '../mrtom/header.js';
import { openReplicaStore } from '../store/replica-store.js';
import { buildApiServer } from '../api/server.js';
import { checkValueBytesMax, VALUE_BYTES_MAX_DEFAULT } from '../api/value-limit.js';
import { createReplicaMetrics } from '../metrics/replica-metrics.js';
import { ServiceError } from '../api/service-errors.js';
import { realClock } from './clock.js';
import { probePeers } from './peer-probe.js';
import { ReplicaProcess } from './replica-process.js';
import { fetchSnapshot } from './snapshot-transfer.js';
import { buildPeerServer } from './peer-server.js';
import { peerClientOf } from './peer-client.js';
import { askLeaderLeaseRemainingMs } from './lease-remaining.js';
import { readTlsFiles, type TlsFilePaths } from './tls-files.js';
import { reloadOnSighup } from './tls-reload.js';
import { warnAboutOpenListeners } from './listener-warnings.js';
import { PROTOCOL_TIMING, REPLICA_TIMING } from './timing.js';
import { bindMulticastSocket, bindUdpSocket, closeUdpSocket } from './udp.js';
import { ADDRESS_REFRESH_INTERVAL_MS, resolvePeerAddresses, usesHostNames } from './addresses.js';
import { bootstrapRootToken } from './root-token.js';

export interface ReplicaNodeOptions {
  config: ClusterConfig;
  /** Folder that relative data folders in the config resolve against. */
  configDir: string;
  replicaId: number;
  logger: Logger;
  /** KV API limits; defaults in src/api/routes/txn.ts, src/store/watch-history.ts and src/api/http-timeouts.ts. */
  api?: { txnOpsMax?: number; valueBytesMax?: number; eventRetainRevisions?: number; headersTimeoutMs?: number; requestTimeoutMs?: number };
  /** Bearer tokens on every route; the root token is read from (or written to) `rootTokenFile`,
   *  `<data>/root-token` by default (root-token.ts). */
  auth?: { rootTokenFile?: string; openOperations: boolean; failuresPerAddressMax?: number };
  /** Applied log entries kept to serve lagging peers; a peer further behind gets a snapshot. */
  logRetainEntries?: number;
  /** TLS for the client API; absent = plain HTTP. */
  tls?: TlsFilePaths;
  /** The shared cluster key (cluster-key.ts); absent = the peer listener is not authenticated. */
  clusterKey?: Buffer;
}

export interface ReplicaNode {
  readonly http: FastifyInstance;
  readonly endpoint: ReplicaEndpoint;
  close(): Promise<void>;
}

function findReplica(config: ClusterConfig, id: number): ReplicaEndpoint {
  const endpoint = config.replicas.find((r) => r.id === id);
  if (!endpoint) throw new Error(`replica id ${id} is not in the cluster config (ids: ${config.replicas.map((r) => r.id).join(', ')})`);
  return endpoint;
}

export async function startReplicaNode(options: ReplicaNodeOptions): Promise<ReplicaNode> {
  const { config, replicaId } = options;
  const endpoint = findReplica(config, replicaId);
  const valueBytesMax = options.api?.valueBytesMax ?? VALUE_BYTES_MAX_DEFAULT;
  checkValueBytesMax(valueBytesMax, config.datagramBytesMax);
  const logger = options.logger.child({ replica: replicaId });
  // Read before anything is opened or bound: a wrong file is a startup error naming its flag.
  const tls = options.tls === undefined ? undefined : await readTlsFiles(options.tls);
  const scheme = tls === undefined ? 'http' : 'https';
  const peerClient = peerClientOf(config, options.clusterKey);
  warnAboutOpenListeners(logger, { host: endpoint.host, tls: tls !== undefined, clusterKey: options.clusterKey !== undefined });
  const addresses = await resolvePeerAddresses(config);
  const runtimeTiming = { ...REPLICA_TIMING, logRetainEntries: options.logRetainEntries ?? REPLICA_TIMING.logRetainEntries };

  const dataDir = resolvePath(options.configDir, endpoint.dataDir);
  const eventRetainRevisions = options.api?.eventRetainRevisions;
  const store = await openReplicaStore(dataDir, {
    durability: config.durability,
    logRetainEntries: runtimeTiming.logRetainEntries,
    ...(eventRetainRevisions === undefined ? {} : { eventRetainRevisions }),
  });
  if (store.log.tornBytes > 0) logger.warn({ tornBytes: store.log.tornBytes }, 'cut a torn final write off the log (a crash mid-write)');

  const socket = await bindUdpSocket(endpoint.host, endpoint.udpPort);
  socket.on('error', (err) => logger.warn({ err }, 'udp socket error'));
  let unknownSourceDrops = 0;
  let closing: Promise<void> | null = null;
  let metrics: ReturnType<typeof createReplicaMetrics> | null = null;

  const replica = await ReplicaProcess.start(
    {
      id: replicaId,
      group: config.group,
      replicaIds: config.replicas.map((r) => r.id),
      sequencerIds: config.sequencers.map((s) => s.id),
      durability: config.durability,
      datagramBytesMax: config.datagramBytesMax,
      protocolTiming: PROTOCOL_TIMING,
      runtimeTiming,
      clientId: randomInt(1, U32_MAX),
      nonce: randomInt(1, 2 ** 48),
    },
    {
      log: store.log,
      state: store.state,
      reads: store.reads,
      snapshots: {
        fetch: (from) => fetchSnapshot(peerClient.baseUrlOf(from), `${dataDir}.snapshot-incoming`, peerClient.headers),
      },
      network: {
        send(to, bytes) {
          const address = addresses.addressOf(to);
          socket.send(bytes, address.port, address.host);
        },
      },
      clock: realClock,
      logger,
      peers: () => probePeers(config, replicaId, peerClient, scheme),
      leaderLeaseRemainingMs: (leaderId, lease) => askLeaderLeaseRemainingMs(peerClient, leaderId, lease),
      onFatal: (err) => {
        logger.fatal({ err }, 'store write failed; stopping so that no unsafe ACK is sent');
        process.exitCode = 1;
        void close();
      },
      onLatency: (latency) => metrics?.observeLatency(latency),
    },
  );
  logger.info({ f: faultsToleratedOf(config.replicas.length) }, 'replica started');

  const onDatagram = (bytes: Buffer, rinfo: dgram.RemoteInfo): void => {
    const from = addresses.peerOf({ host: rinfo.address, port: rinfo.port });
    if (from === null) {
      unknownSourceDrops += 1;
      return;
    }
    replica.receive(from, bytes);
  };
  socket.on('message', onDatagram);
  // With a group, the sequencer's fan-outs arrive by multicast; everything else still by unicast.
  const groupSocket = config.multicast === undefined ? null : await bindMulticastSocket(config.multicast, endpoint.host);
  groupSocket?.on('message', onDatagram);
  groupSocket?.on('error', (err) => logger.warn({ err }, 'multicast socket error'));
  const refresher = usesHostNames(config)
    ? setInterval(
        () => void addresses.refresh().catch((err: Error) => logger.warn({ err }, 'address refresh failed')),
        ADDRESS_REFRESH_INTERVAL_MS,
      )
    : null;

  metrics = createReplicaMetrics({
    soft: () => replica.soft(),
    counters: () => replica.machine.counters(),
    unknownSourceDrops: () => unknownSourceDrops,
    requestsInFlight: () => replica.submitter.inFlightCount,
    splitPutsHeld: () => store.state.splitPutsHeld,
  });
  const txnOpsMax = options.api?.txnOpsMax;
  const tokens = store.state.tokens;
  const authTokens = {
    get: (id: string) => tokens.get(id),
    list: () => tokens.list(),
    subscribe: (listener: () => void) => tokens.subscribe(listener),
    readable: () => store.state.readable(),
    get rootBootstrapped() {
      return tokens.rootBootstrapped;
    },
  };
  const stopping = new AbortController();
  const rootTokenFile = options.auth === undefined ? null : (options.auth.rootTokenFile ?? resolvePath(dataDir, 'root-token'));
  const bootstrap =
    rootTokenFile === null
      ? Promise.resolve()
      : bootstrapRootToken({ service: replica.service, file: rootTokenFile, tokens: authTokens, logger, signal: stopping.signal }).catch(
          (err: Error) => logger.error({ err }, 'root token bootstrap failed'),
        );
  const http = buildApiServer({
    service: replica.service,
    logger,
    metrics: metrics.registry,
    ...(options.auth === undefined ? {} : { auth: { ...options.auth, tokens: authTokens } }),
    ...(txnOpsMax === undefined ? {} : { txnOpsMax }),
    valueBytesLimit: valueBytesMax,
    ...(tls === undefined ? {} : { tls }),
  });
  const peerHttp = buildPeerServer({
    logger,
    registry: metrics.registry,
    ...(options.clusterKey === undefined ? {} : { clusterKey: options.clusterKey }),
    snapshot: () => store.state.snapshot(),
    ready: () => replica.service.health().ready,
    leaseRemainingMs: (lease) => replica.leaseCountdown.remainingMs(lease),
  });
  await peerHttp.listen({ host: endpoint.host, port: peerPortOf(endpoint) });
  await http.listen({ host: endpoint.host, port: endpoint.httpPort });
  // Fastify types its server as http.Server; with `tls` it is an https.Server, a tls.Server.
  const stopReload = reloadOnSighup(
    options.tls === undefined ? null : { server: http.server as unknown as TlsServer, paths: options.tls },
    logger,
  );
  logger.info(
    {
      http: `${scheme}://${endpoint.host}:${endpoint.httpPort}`,
      peer: `http://${endpoint.host}:${peerPortOf(endpoint)}`,
      udp: endpoint.udpPort,
    },
    'replica serving',
  );

  function close(): Promise<void> {
    closing ??= (async () => {
      if (refresher) clearInterval(refresher);
      stopReload();
      // Callers waiting on a commit are answered first: the HTTP server's close waits for them.
      const stopped = replica.stop(new ServiceError('shutting_down', 'this replica is shutting down', 1));
      stopping.abort(); // the root token bootstrap, if it still retries
      await http.close();
      await peerHttp.close();
      await closeUdpSocket(socket);
      if (groupSocket !== null) await closeUdpSocket(groupSocket);
      await stopped;
      await bootstrap; // its submit was answered by the stop
      await store.close();
      logger.info({ unknownSourceDrops, counters: replica.machine.counters() }, 'replica stopped');
    })();
    return closing;
  }

  return { http, endpoint, close };
}
