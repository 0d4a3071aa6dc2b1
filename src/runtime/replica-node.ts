// One replica process: the UDP endpoint of the replica protocol, the LevelDB state machine, the MRTOM
// client that submits for HTTP callers, and the HTTP API, wired together.
import dgram from 'node:dgram';
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
import { Submitter } from './submitter.js';
import { REPLICA_TIMING } from './timing.js';
import { bindUdpSocket, closeUdpSocket, sourceKey } from './udp.js';

export interface ReplicaNodeOptions {
  config: ClusterConfig;
  /** Folder that relative data folders in the config resolve against. */
  configDir: string;
  replicaId: number;
  logger: Logger;
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
  // The first configured sequencer serves the initial session; failover to standbys is the session
  // change of the slow path.
  const sequencer = config.sequencers[0]!;
  const sequencerKey = `${sequencer.host}:${sequencer.port}`;

  const store = await KvStore.open(resolvePath(options.configDir, endpoint.dataDir), { durability: config.durability });
  const meta = store.meta();
  const state = createReplica(
    {
      id: replicaId,
      group: config.group,
      replicaIds: config.replicas.map((r) => r.id),
      gapTimeoutMs: REPLICA_TIMING.gapTimeoutMs,
      retransmitRequestIntervalMs: REPLICA_TIMING.retransmitRequestIntervalMs,
      pendingEntriesMax: REPLICA_TIMING.pendingEntriesMax,
    },
    {
      view: store.viewState()?.view ?? 0,
      session: meta.session === 0 ? config.session : meta.session,
      appliedSeq: meta.appliedSeq,
      // loadLog also returns the retained applied window; only the unapplied tail is replayed here.
      log: (await store.loadLog()).filter((entry) => entry.slot > meta.appliedSlot),
    },
  );
  logger.info({ session: state.session, view: state.view, appliedSeq: state.applied, through: state.through, f: faultsTolerated(config) }, 'replica state restored');

  const socket = await bindUdpSocket(endpoint.host, endpoint.udpPort);
  const sendToSequencer = (bytes: Uint8Array): void => socket.send(bytes, sequencer.port, sequencer.host);
  let lastHeardSequencerMs = Number.NEGATIVE_INFINITY;
  let closing = false;
  let unknownSourceDrops = 0;

  const submitter = new Submitter({
    group: config.group,
    datagramBytesMax: config.datagramBytesMax,
    resendIntervalMs: REPLICA_TIMING.requestResendIntervalMs,
    commitTimeoutMs: REPLICA_TIMING.commitTimeoutMs,
    inFlightMax: REPLICA_TIMING.requestsInFlightMax,
    send: sendToSequencer,
    nowMs: () => performance.now(),
  });

  const driver = new ReplicaDriver({
    state,
    store,
    logger,
    sendToSequencer,
    onApplied: (entries) => submitter.onApplied(entries),
    onFatal: (err) => {
      logger.fatal({ err }, 'store write failed; stopping so that no unsafe ACK is sent');
      process.exitCode = 1;
      void close();
    },
  });

  socket.on('message', (bytes: Buffer, rinfo: dgram.RemoteInfo) => {
    if (sourceKey(rinfo) !== sequencerKey) {
      unknownSourceDrops += 1;
      return;
    }
    const nowMs = performance.now();
    lastHeardSequencerMs = nowMs;
    driver.step({ kind: 'datagram', bytes, nowMs });
  });
  // Kick off: announce our position so the sequencer resends what we missed while down.
  driver.step({ kind: 'flush' });

  const ticker = setInterval(() => {
    driver.step({ kind: 'tick', nowMs: performance.now() });
    submitter.onTick();
  }, REPLICA_TIMING.tickIntervalMs);

  const sequencerHeard = (): boolean => performance.now() - lastHeardSequencerMs < REPLICA_TIMING.sequencerSilenceMs;

  const service: KvService = {
    submit(op: KvOp): Promise<OpResult> {
      if (closing) return Promise.reject(new ServiceError('shutting_down', 'this replica is shutting down', 1));
      if (!sequencerHeard()) {
        return Promise.reject(new ServiceError('unavailable', `no word from the sequencer for over ${REPLICA_TIMING.sequencerSilenceMs} ms; the cluster cannot commit`, 1));
      }
      return submitter.submit(op);
    },
    health(): NodeHealth {
      const checks = [
        { name: 'store', ok: !closing, detail: closing ? 'closing' : 'open' },
        { name: 'sequencer', ok: sequencerHeard(), detail: `session ${state.session}` },
        { name: 'caught-up', ok: isCaughtUp(state), detail: `status ${state.status}, applied ${state.applied}, commit ${state.commit}, through ${state.through}` },
      ];
      return { ready: checks.every((c) => c.ok), checks };
    },
    valueBytesMax(key: string, contentType: string | undefined): number {
      const empty = submitter.datagramBytes(contentType === undefined ? { type: 'put', key, value: new Uint8Array(0) } : { type: 'put', key, value: new Uint8Array(0), contentType });
      // bin32 framing instead of bin8 for a large value, plus room for a growing request id.
      return Math.max(0, config.datagramBytesMax - empty - 16);
    },
  };

  const metrics = createReplicaMetrics({ state, unknownSourceDrops: () => unknownSourceDrops, requestsInFlight: () => submitter.inFlightCount });
  const http = buildApiServer({ service, logger, metrics });
  await http.listen({ host: endpoint.host, port: endpoint.httpPort });
  logger.info({ http: `http://${endpoint.host}:${endpoint.httpPort}`, udp: endpoint.udpPort }, 'replica serving');

  async function close(): Promise<void> {
    if (closing) return;
    closing = true;
    clearInterval(ticker);
    await http.close();
    submitter.failAll(new ServiceError('shutting_down', 'this replica is shutting down', 1));
    await closeUdpSocket(socket);
    await driver.drain();
    await store.close();
    logger.info({ unknownSourceDrops, counters: state.counters }, 'replica stopped');
  }

  return { http, endpoint, close };
}
