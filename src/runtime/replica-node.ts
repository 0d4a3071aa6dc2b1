// One replica process: the UDP endpoint of the replica protocol, the LevelDB state machine, the MRTOM
// client that submits for HTTP callers, and the HTTP API, wired together.
import dgram from 'node:dgram';
import { randomInt } from 'node:crypto';
import { resolve as resolvePath } from 'node:path';
import type { Logger } from 'pino';
import type { FastifyInstance } from 'fastify';
import { createReplica, isCaughtUp } from '../consensus/replica.js';
import { faultsTolerated, type ClusterConfig, type ReplicaEndpoint } from '../config/cluster.js';
import { KvStore } from '../store/kv-store.js';
import type { KvOp, OpResult } from '../store/ops.js';
import { buildApiServer } from '../api/server.js';
import { createReplicaMetrics } from '../metrics/replica-metrics.js';
import type { KvService, NodeHealth } from '../api/service.js';
import { ServiceError } from '../api/service-errors.js';
import { ReplicaDriver } from './replica-driver.js';
import { fetchSnapshot, snapshotRoutes } from './snapshot-transfer.js';
import { Submitter } from './submitter.js';
import { PROTOCOL_TIMING, REPLICA_TIMING } from './timing.js';
import { bindUdpSocket, closeUdpSocket } from './udp.js';
import { ADDRESS_REFRESH_INTERVAL_MS, resolvePeerAddresses, usesHostNames } from './addresses.js';
// --- KV API (M3): read barriers, apply notifications for watches, /v1/status ---
import { ReadBarrier } from './read-barrier.js';
import { AppliedSignal } from './applied-signal.js';
import { nodeStatus } from './node-status.js';
import { LeaseExpiry } from './lease-expiry.js';
import { isLeader } from '../consensus/state.js';
// --- end KV API ---
import type { Peer } from '../consensus/types.js';

export interface ReplicaNodeOptions {
  config: ClusterConfig;
  /** Folder that relative data folders in the config resolve against. */
  configDir: string;
  replicaId: number;
  logger: Logger;
  /** KV API limits (M3); defaults in src/api/routes/txn.ts and src/store/watch-history.ts. */
  api?: { txnOpsMax?: number; eventRetainRevisions?: number };
  /** Applied log entries kept to serve lagging peers; a peer further behind gets a snapshot. */
  logRetainEntries?: number;
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
  const logger = options.logger.child({ replica: replicaId });
  const addresses = await resolvePeerAddresses(config);

  const dataDir = resolvePath(options.configDir, endpoint.dataDir);
  const logRetainEntries = options.logRetainEntries ?? REPLICA_TIMING.logRetainEntries;
  const store = await KvStore.open(dataDir, {
    durability: config.durability,
    logRetainEntries,
    ...(options.api?.eventRetainRevisions === undefined ? {} : { eventRetainRevisions: options.api.eventRetainRevisions }),
  });
  const state = createReplica(
    {
      id: replicaId,
      group: config.group,
      replicaIds: config.replicas.map((r) => r.id),
      sequencerIds: config.sequencers.map((s) => s.id),
      durability: config.durability,
      timing: PROTOCOL_TIMING,
      logRetainEntries,
      pendingEntriesMax: REPLICA_TIMING.pendingEntriesMax,
      nonce: randomInt(1, 2 ** 48),
    },
    {
      viewState: store.viewState(),
      appliedSlot: store.meta().appliedSlot,
      log: await store.loadLog(),
      nowMs: performance.now(),
      stateLost: store.stateLost,
    },
  );
  logger.info(
    {
      status: state.status,
      view: state.vs.view,
      session: state.vs.session,
      appliedSlot: state.applied,
      through: state.through,
      f: faultsTolerated(config),
    },
    'replica state restored',
  );

  const socket = await bindUdpSocket(endpoint.host, endpoint.udpPort);
  socket.on('error', (err) => logger.warn({ err }, 'udp socket error'));
  const send = (to: Peer, bytes: Uint8Array): void => {
    const address = addresses.addressOf(to);
    socket.send(bytes, address.port, address.host);
  };
  let closing = false;
  let unknownSourceDrops = 0;

  const submitter = new Submitter({
    group: config.group,
    datagramBytesMax: config.datagramBytesMax,
    resendIntervalMs: REPLICA_TIMING.requestResendIntervalMs,
    commitTimeoutMs: REPLICA_TIMING.commitTimeoutMs,
    inFlightMax: REPLICA_TIMING.requestsInFlightMax,
    // Always to the sequencer of the replica's current session, which a session change replaces.
    send: (bytes) => send({ sequencer: state.vs.sequencerId }, bytes),
    nowMs: () => performance.now(),
    onCommitted: (latencyMs) => metrics.observeCommitLatency(latencyMs),
  });

  const appliedSignal = new AppliedSignal(); // KV API (M3)
  const driver = new ReplicaDriver({
    state,
    store,
    logger,
    send,
    nowMs: () => performance.now(),
    onApplied: (entries) => {
      submitter.onApplied(entries);
      appliedSignal.notify(); // KV API (M3): watches read the new history
      leaseExpiry.onApplied(entries); // KV API (M3): lease countdowns
    },
    fetchSnapshot: (from) => {
      const peer = config.replicas.find((r) => r.id === from)!;
      return fetchSnapshot(`http://${peer.host}:${peer.httpPort}`, store, `${dataDir}.snapshot-incoming`);
    },
    onFatal: (err) => {
      logger.fatal({ err }, 'store write failed; stopping so that no unsafe ACK is sent');
      process.exitCode = 1;
      void close();
    },
  });

  socket.on('message', (bytes: Buffer, rinfo: dgram.RemoteInfo) => {
    const from = addresses.peerOf({ host: rinfo.address, port: rinfo.port });
    if (from === null) {
      unknownSourceDrops += 1;
      return;
    }
    driver.step({ kind: 'datagram', from, bytes, nowMs: performance.now() });
  });

  const refresher = usesHostNames(config)
    ? setInterval(
        () => void addresses.refresh().catch((err: Error) => logger.warn({ err }, 'address refresh failed')),
        ADDRESS_REFRESH_INTERVAL_MS,
      )
    : null;
  const ticker = setInterval(() => {
    driver.step({ kind: 'tick', nowMs: performance.now() });
    submitter.onTick();
    leaseExpiry.onTick(); // KV API (M3)
  }, REPLICA_TIMING.tickIntervalMs);

  const sequencerHeard = (): boolean => performance.now() - state.lastHeardSequencerMs < REPLICA_TIMING.sequencerSilenceMs;

  const readBarrier = new ReadBarrier(() => service.submit({ type: 'barrier' })); // KV API (M3)
  // KV API (M3): the leader proposes revokes of leases whose TTL ran out on its clock.
  const leaseExpiry = new LeaseExpiry({
    isLeader: () => isLeader(state) && state.status === 'normal',
    nowMs: () => performance.now(),
    readLeases: () => store.readLeases(),
    revoke: (lease) => service.submit({ type: 'lease_revoke', lease }),
    onError: (err) => logger.debug({ err }, 'lease expiry will retry'),
  });
  const service: KvService = {
    // --- KV API (M3) ---
    barrier: () => readBarrier.wait(),
    local: store,
    onApplied: (listener) => appliedSignal.subscribe(listener),
    status: () =>
      nodeStatus(config, {
        id: replicaId,
        status: state.status,
        view: state.vs.view,
        session: state.vs.session,
        sequencerId: state.vs.sequencerId,
        commitSlot: state.commit,
        appliedSlot: state.applied,
        revision: store.meta().revision,
      }),
    // --- end KV API ---
    submit(op: KvOp): Promise<OpResult> {
      if (closing) return Promise.reject(new ServiceError('shutting_down', 'this replica is shutting down', 1));
      if (!sequencerHeard()) {
        return Promise.reject(
          new ServiceError(
            'unavailable',
            `no word from the sequencer for over ${REPLICA_TIMING.sequencerSilenceMs} ms; the cluster cannot commit`,
            1,
          ),
        );
      }
      return submitter.submit(op);
    },
    health(): NodeHealth {
      const checks = [
        { name: 'store', ok: !closing, detail: closing ? 'closing' : 'open' },
        { name: 'sequencer', ok: sequencerHeard(), detail: `sequencer ${state.vs.sequencerId}, session ${state.vs.session}` },
        {
          name: 'caught-up',
          ok: isCaughtUp(state),
          detail: `status ${state.status}, view ${state.vs.view}, applied ${state.applied}, commit ${state.commit}, through ${state.through}`,
        },
      ];
      return { ready: checks.every((c) => c.ok), checks };
    },
  };

  const metrics = createReplicaMetrics({
    state,
    unknownSourceDrops: () => unknownSourceDrops,
    requestsInFlight: () => submitter.inFlightCount,
  });
  const http = buildApiServer({
    service,
    logger,
    metrics: metrics.registry,
    ...(options.api?.txnOpsMax === undefined ? {} : { txnOpsMax: options.api.txnOpsMax }),
  });
  await http.register(snapshotRoutes, { store });
  await http.listen({ host: endpoint.host, port: endpoint.httpPort });
  logger.info({ http: `http://${endpoint.host}:${endpoint.httpPort}`, udp: endpoint.udpPort }, 'replica serving');

  async function close(): Promise<void> {
    if (closing) return;
    closing = true;
    clearInterval(ticker);
    if (refresher) clearInterval(refresher);
    // Callers waiting on a commit are answered first: the HTTP server's close waits for them.
    submitter.failAll(new ServiceError('shutting_down', 'this replica is shutting down', 1));
    await http.close();
    await closeUdpSocket(socket);
    await driver.drain();
    await store.close();
    logger.info({ unknownSourceDrops, counters: state.counters }, 'replica stopped');
  }

  return { http, endpoint, close };
}
