// The userspace data plane: runs the pure sequencer (protocol.ts) on a node:dgram socket. It maps source
// addresses to replica ids, feeds datagrams in, flushes once per receive burst, ticks on a timer and
// performs the sends. All protocol decisions live in protocol.ts; this file only does I/O. It starts
// without a session and serves whichever one the leader's SESSION_START gives it.
import dgram from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { Logger } from 'pino';
import type { ClusterConfig } from '../config/cluster.js';
import type { SequencerCounters } from './counters.js';
import { createSequencer, stepSequencer, type SequencerEffect, type SequencerInput } from './protocol.js';

/** Socket buffers sized for bursts of a few thousand datagrams; the kernel may cap them (best effort). */
const SOCKET_BUFFER_BYTES = 4 * 1024 * 1024;
/** Ticks drive timeout resends and heartbeats; a few ms keeps repair well under the replicas' gap timeout. */
const TICK_INTERVAL_MS_DEFAULT = 5;
/** Shorter than the replicas' gap timeout, so the fast path repairs most losses before the slow path starts. */
const RETRANSMIT_INTERVAL_MS = 20;
const HEARTBEAT_INTERVAL_MS = 50;
const RESEND_PER_TICK_MAX = 256;

export interface UserspaceSequencerOptions {
  config: ClusterConfig;
  sequencerId: number;
  logger: Logger;
  tickIntervalMs?: number;
}

export type UserspaceCounters = SequencerCounters & {
  /** Sends the kernel refused (e.g. a full send buffer); the copies stay in the ring for resend. */
  sendErrors: number;
};

export interface UserspaceSequencer {
  address: { host: string; port: number };
  counters(): UserspaceCounters;
  close(): Promise<void>;
}

interface ReplicaAddress {
  host: string;
  port: number;
}

export async function startUserspaceSequencer(opts: UserspaceSequencerOptions): Promise<UserspaceSequencer> {
  const { config, sequencerId } = opts;
  const endpoint = config.sequencers.find((s) => s.id === sequencerId);
  if (endpoint === undefined) throw new Error(`sequencer id ${sequencerId} is not in the cluster config`);
  const log = opts.logger.child({ sequencer: sequencerId });
  const family = isIP(endpoint.host) === 6 ? 6 : 4;

  // Replicas send REQUEST and ACK from the socket they receive ORDERED on, so the resolved address of
  // that socket identifies the replica. Names are resolved once: a rename needs a restart.
  const replicaAddresses = new Map<number, ReplicaAddress>();
  const replicaBySource = new Map<string, number>();
  for (const replica of config.replicas) {
    const { address } = await lookup(replica.host, { family });
    replicaAddresses.set(replica.id, { host: address, port: replica.udpPort });
    replicaBySource.set(sourceKey(address, replica.udpPort), replica.id);
  }

  const state = createSequencer({
    group: config.group,
    replicaIds: config.replicas.map((r) => r.id),
    ringCapacity: config.ringCapacity,
    retransmitIntervalMs: RETRANSMIT_INTERVAL_MS,
    heartbeatIntervalMs: HEARTBEAT_INTERVAL_MS,
    resendPerTickMax: RESEND_PER_TICK_MAX,
  });
  let sendErrors = 0;

  const socket = dgram.createSocket({ type: family === 6 ? 'udp6' : 'udp4' });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(endpoint.port, endpoint.host, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  setSocketBuffers(socket, log);

  const onSent = (err: Error | null): void => {
    if (err !== null) sendErrors += 1;
  };
  const perform = (effects: SequencerEffect[]): void => {
    for (const effect of effects) {
      const to = replicaAddresses.get(effect.to);
      if (to === undefined) throw new Error(`protocol addressed unknown replica ${effect.to}`);
      socket.send(effect.bytes, to.port, to.host, onSent);
    }
  };
  const step = (input: SequencerInput): void => {
    const sessionBefore = state.session;
    perform(stepSequencer(state, input));
    if (state.session !== sessionBefore) log.info({ session: state.session, view: state.view }, 'session started');
  };

  // setImmediate runs after the event loop has drained the socket's pending reads, so one flush (and at
  // most one COMMIT notice) covers a whole burst of acks.
  let flushPending: NodeJS.Immediate | null = null;
  const flush = (): void => {
    flushPending = null;
    step({ kind: 'flush', nowMs: performance.now() });
  };
  socket.on('message', (bytes: Buffer, rinfo: dgram.RemoteInfo) => {
    const fromReplica = replicaBySource.get(sourceKey(rinfo.address, rinfo.port)) ?? null;
    step({ kind: 'datagram', fromReplica, bytes, nowMs: performance.now() });
    flushPending ??= setImmediate(flush);
  });
  // After bind, socket errors are per-datagram conditions the kernel reports; the socket keeps serving.
  socket.on('error', (err) => log.error({ err }, 'sequencer socket error'));

  const ticker = setInterval(() => step({ kind: 'tick', nowMs: performance.now() }), opts.tickIntervalMs ?? TICK_INTERVAL_MS_DEFAULT);
  ticker.unref();

  const bound = socket.address();
  log.info({ host: bound.address, port: bound.port, group: config.group, replicas: config.replicas.length }, 'sequencer listening');

  let closing: Promise<void> | null = null;
  return {
    address: { host: bound.address, port: bound.port },
    counters: () => ({ ...state.counters, dropped: { ...state.counters.dropped }, sendErrors }),
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        clearInterval(ticker);
        if (flushPending !== null) clearImmediate(flushPending);
        socket.close(() => {
          log.info({ counters: { ...state.counters, sendErrors } }, 'sequencer stopped');
          resolve();
        });
      });
      return closing;
    },
  };
}

function sourceKey(host: string, port: number): string {
  return `${host}:${port}`;
}

function setSocketBuffers(socket: dgram.Socket, log: Logger): void {
  try {
    socket.setRecvBufferSize(SOCKET_BUFFER_BYTES);
    socket.setSendBufferSize(SOCKET_BUFFER_BYTES);
  } catch (err) {
    // Best effort: smaller buffers only mean more loss under bursts, which retransmission covers.
    log.warn({ err }, 'could not enlarge socket buffers');
  }
  log.debug({ recvBufferBytes: socket.getRecvBufferSize(), sendBufferBytes: socket.getSendBufferSize() }, 'socket buffers');
}
