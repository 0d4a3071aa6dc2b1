// The userspace data plane: runs the pure sequencer (protocol.ts) on a node:dgram socket. It maps source
// addresses to replica ids, feeds datagrams in, flushes once per receive burst, ticks on a timer and
// performs the sends. All protocol decisions live in protocol.ts; this file only does I/O. It starts
// without a session and serves whichever one the leader's SESSION_START gives it.
import dgram from 'node:dgram';
import { randomInt } from 'node:crypto';
import type { Logger } from 'pino';
import type { ClusterConfig } from '../config/cluster.js';
import { ADDRESS_REFRESH_INTERVAL_MS, resolvePeerAddresses, usesHostNames } from '../runtime/addresses.js';
import { bindUdpSocket } from '../runtime/udp.js';
import type { SequencerCounters } from './counters.js';
import { createSequencer, stepSequencer, type SequencerEffect, type SequencerInput } from './protocol.js';

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

export async function startUserspaceSequencer(opts: UserspaceSequencerOptions): Promise<UserspaceSequencer> {
  const { config, sequencerId } = opts;
  const endpoint = config.sequencers.find((s) => s.id === sequencerId);
  if (endpoint === undefined) throw new Error(`sequencer id ${sequencerId} is not in the cluster config`);
  const log = opts.logger.child({ sequencer: sequencerId });

  // Replicas send REQUEST and ACK from the socket they receive ORDERED on, so the resolved address of
  // that socket identifies the replica.
  const addresses = await resolvePeerAddresses(config);
  const refresher = usesHostNames(config)
    ? setInterval(
        () => void addresses.refresh().catch((err: Error) => log.warn({ err }, 'address refresh failed')),
        ADDRESS_REFRESH_INTERVAL_MS,
      )
    : null;
  refresher?.unref();

  const state = createSequencer({
    group: config.group,
    replicaIds: config.replicas.map((r) => r.id),
    ringCapacity: config.ringCapacity,
    retransmitIntervalMs: RETRANSMIT_INTERVAL_MS,
    heartbeatIntervalMs: HEARTBEAT_INTERVAL_MS,
    resendPerTickMax: RESEND_PER_TICK_MAX,
    incarnation: randomInt(1, 0xffff_ffff),
  });
  let sendErrors = 0;

  const socket = await bindUdpSocket(endpoint.host, endpoint.port);
  const onSent = (err: Error | null): void => {
    if (err !== null) sendErrors += 1;
  };
  const perform = (effects: SequencerEffect[]): void => {
    for (const effect of effects) {
      const to = addresses.addressOf({ replica: effect.to });
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
    const from = addresses.peerOf({ host: rinfo.address, port: rinfo.port });
    const fromReplica = from !== null && 'replica' in from ? from.replica : null;
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
        if (refresher) clearInterval(refresher);
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
