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
import { ConfigError, peerPortOf, type ClusterConfig, type ReplicaEndpoint } from '../config/cluster.js';
import { faultsToleratedOf } from '../mrtom/group.js';
import { U32_MAX } from '../mrtom/header.js';
import { openReplicaStore } from '../store/replica-store.js';
import { appliedTokensOf } from './auth-tokens.js';
import { buildApiServer } from '../api/server.js';
import { requestTimeoutsOf, type RequestTimeouts } from '../api/http-timeouts.js';
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
import { PEER_TLS_FLAGS, readTlsFiles, TLS_FLAGS, type TlsFilePaths } from './tls-files.js';
import { reloadOnSighup, type TlsReloadTarget } from './tls-reload.js';
import { warnAboutOpenListeners } from './listener-warnings.js';
import { PROTOCOL_TIMING, REPLICA_TIMING } from './timing.js';
import { bindMulticastSocket, bindUdpSocket, closeUdpSocket } from './udp.js';
import { DatagramGuard, macDropsOf } from './datagram-guard.js';
import { DATAGRAM_TAG_BYTES } from './datagram-mac.js';
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
  /** Mutual TLS for the peer listener and this replica's requests to its peers; absent = plain HTTP. */
  peerTls?: TlsFilePaths;
  /** The shared cluster key (cluster-key.ts): it authenticates the peer listener and every datagram
   *  (datagram-mac.ts); absent = neither is authenticated. */
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

/** The client API's request timeouts, checked before anything is bound (a bad pair names its flags). */
function httpTimeoutsOf(api: NonNullable<ReplicaNodeOptions['api']>): RequestTimeouts {
  try {
    return requestTimeoutsOf({
      ...(api.headersTimeoutMs === undefined ? {} : { headersTimeoutMs: api.headersTimeoutMs }),
      ...(api.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: api.requestTimeoutMs }),
    });
  } catch (err) {
    throw new ConfigError(`--http-headers-timeout-ms / --http-request-timeout-ms: ${(err as Error).message}`);
  }
}

export async function startReplicaNode(options: ReplicaNodeOptions): Promise<ReplicaNode> {
  const { config, replicaId } = options;
  const endpoint = findReplica(config, replicaId);
  // Sequencers whose ORDERED must end in a stamp tag (docs/security.md); they need every replica keyed.
  const stampTaggers = new Set(config.sequencers.filter((s) => s.stampMac === true).map((s) => s.id));
  if (stampTaggers.size > 0 && options.clusterKey === undefined) {
    throw new ConfigError(
      `sequencers ${[...stampTaggers].join(', ')} have stampMac in the cluster config: give every replica the cluster key`,
    );
  }
  // Tags count against datagramBytesMax: the submitter's limit leaves room for its own and, where a
  // sequencer tags its stamps, for that one on the ORDERED.
  const tagBytes = options.clusterKey === undefined ? 0 : DATAGRAM_TAG_BYTES * (stampTaggers.size > 0 ? 2 : 1);
  const submitterDatagramBytesMax = config.datagramBytesMax - tagBytes;
  const valueBytesMax = options.api?.valueBytesMax ?? VALUE_BYTES_MAX_DEFAULT;
  checkValueBytesMax(valueBytesMax, submitterDatagramBytesMax);
  const httpTimeouts = httpTimeoutsOf(options.api ?? {});
  const logger = options.logger.child({ replica: replicaId });
  // Read before anything is opened or bound: a wrong file is a startup error naming its flag.
  const tls = options.tls === undefined ? undefined : await readTlsFiles(options.tls);
  const peerTls = options.peerTls === undefined ? undefined : await readTlsFiles(options.peerTls, PEER_TLS_FLAGS);
  const scheme = tls === undefined ? 'http' : 'https';
  const peerClient = peerClientOf(config, options.clusterKey, peerTls);
  warnAboutOpenListeners(logger, {
    host: endpoint.host,
    tls: tls !== undefined,
    peerTls: peerTls !== undefined,
    clusterKey: options.clusterKey !== undefined,
  });
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
  const guard = options.clusterKey === undefined ? null : new DatagramGuard(options.clusterKey, false);
  let closing: Promise<void> | null = null;
  let metrics: ReturnType<typeof createReplicaMetrics> | null = null;

  const replica = await ReplicaProcess.start(
    {
      id: replicaId,
      group: config.group,
      replicaIds: config.replicas.map((r) => r.id),
      sequencerIds: config.sequencers.map((s) => s.id),
      durability: config.durability,
      datagramBytesMax: submitterDatagramBytesMax,
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
        fetch: (from) => fetchSnapshot(peerClient, from, `${dataDir}.snapshot-incoming`),
      },
      network: {
        send(to, bytes) {
          const address = addresses.addressOf(to);
          socket.send(guard === null ? bytes : guard.sign(bytes), address.port, address.host);
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
    if (guard === null) return replica.receive(from, bytes);
    // Checked before the protocol sees anything of it; a drop is counted by reason (datagram-guard.ts).
    const admitted = guard.admit(bytes, 'sequencer' in from && stampTaggers.has(from.sequencer));
    if (admitted !== null) replica.receive(from, admitted);
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
    receiveDrops: () => ({ 'unknown-source': unknownSourceDrops, ...macDropsOf(guard) }),
    requestsInFlight: () => replica.submitter.inFlightCount,
    splitPutsHeld: () => store.state.splitPutsHeld,
  });
  const txnOpsMax = options.api?.txnOpsMax;
  const authTokens = appliedTokensOf(store.state);
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
    ...httpTimeouts,
    ...(tls === undefined ? {} : { tls }),
  });
  const peerHttp = buildPeerServer({
    logger,
    registry: metrics.registry,
    ...(options.clusterKey === undefined ? {} : { clusterKey: options.clusterKey }),
    ...(peerTls === undefined ? {} : { tls: peerTls }),
    snapshot: () => store.state.snapshot(),
    ready: () => replica.service.health().ready,
    leaseRemainingMs: (lease) => replica.leaseCountdown.remainingMs(lease),
  });
  await peerHttp.listen({ host: endpoint.host, port: peerPortOf(endpoint) });
  await http.listen({ host: endpoint.host, port: endpoint.httpPort });
  // Fastify types its servers as http.Server; with TLS each is an https.Server, a tls.Server.
  const reloadTargets: TlsReloadTarget[] = [];
  if (options.tls !== undefined)
    reloadTargets.push({ name: 'client', server: http.server as unknown as TlsServer, paths: options.tls, flags: TLS_FLAGS });
  if (options.peerTls !== undefined) {
    const server = peerHttp.server as unknown as TlsServer;
    reloadTargets.push({ name: 'peer', server, paths: options.peerTls, flags: PEER_TLS_FLAGS, onReload: (m) => peerClient.useTls(m) });
  }
  const stopReload = reloadOnSighup(reloadTargets, logger);
  logger.info(
    {
      http: `${scheme}://${endpoint.host}:${endpoint.httpPort}`,
      peer: `${peerTls === undefined ? 'http' : 'https'}://${endpoint.host}:${peerPortOf(endpoint)}`,
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
      await peerClient.close();
      await closeUdpSocket(socket);
      if (groupSocket !== null) await closeUdpSocket(groupSocket);
      await stopped;
      await bootstrap; // its submit was answered by the stop
      await store.close();
      logger.info({ unknownSourceDrops, macDrops: guard?.drops(), counters: replica.machine.counters() }, 'replica stopped');
    })();
    return closing;
  }

  return { http, endpoint, close };
}
