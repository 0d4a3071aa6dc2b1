// The userspace data plane as an OS process: the sequencer host (sequencer-host.ts) over a node:dgram
// socket. It maps source addresses to replica ids and performs the sends; every protocol decision lives
// in src/sequencer. It starts without a session and serves whichever one a leader's SESSION_START gives it.
import dgram from 'node:dgram';
import { randomInt } from 'node:crypto';
import type { Logger } from 'pino';
import { ConfigError, type ClusterConfig } from '../config/cluster.js';
import { MessageType, U32_MAX } from '../mrtom/header.js';
import { createSequencer } from '../sequencer/state.js';
import { ADDRESS_REFRESH_INTERVAL_MS, resolvePeerAddresses, usesHostNames } from './addresses.js';
import { realClock } from './clock.js';
import { DatagramGuard, macDropsOf } from './datagram-guard.js';
import { warnAboutUnkeyedSequencer } from './listener-warnings.js';
import type { DatagramMacDropReason } from './datagram-mac.js';
import { SequencerHost, type SequencerHostCounters } from './sequencer-host.js';
import { SEQUENCER_TIMING } from './timing.js';
import { bindUdpSocket, closeUdpSocket, sendMulticastVia } from './udp.js';
import { startXdpDataPlane, type XdpOptions } from './xdp-data-plane.js';
import type { XdpCounter } from '../sequencer/xdp/maps.js';

export interface SequencerNodeOptions {
  config: ClusterConfig;
  sequencerId: number;
  logger: Logger;
  /** Stamp in the kernel (docs/xdp.md); absent = the userspace data plane. */
  xdp?: XdpOptions;
  /** The shared cluster key (cluster-key.ts): every datagram from a replica must carry its MAC, and the
   *  COMMIT and HEARTBEAT notices carry one (datagram-mac.ts); absent = no MACs. */
  clusterKey?: Buffer;
}

/** The host's counters, with the datagrams dropped before the protocol (a missing or wrong MAC) among the drops. */
export type SequencerNodeCounters = Omit<SequencerHostCounters, 'dropped'> & {
  dropped: Record<keyof SequencerHostCounters['dropped'] | DatagramMacDropReason, number>;
};

export interface SequencerNode {
  address: { host: string; port: number };
  counters(): SequencerNodeCounters;
  /** The XDP program's own counters (packets by what it did with them); null for the userspace plane. */
  xdpCounters(): Record<XdpCounter, number> | null;
  close(): Promise<void>;
}

export async function startSequencerNode(opts: SequencerNodeOptions): Promise<SequencerNode> {
  const { config, sequencerId } = opts;
  const endpoint = config.sequencers.find((s) => s.id === sequencerId);
  if (endpoint === undefined) throw new Error(`sequencer id ${sequencerId} is not in the cluster config`);
  const logger = opts.logger.child({ sequencer: sequencerId });
  // Refused before anything is bound: a sequencer that cannot tag its stamps must not serve unnoticed.
  if (endpoint.stampMac === true && opts.clusterKey === undefined) {
    throw new ConfigError(`sequencer ${sequencerId} has stampMac in the cluster config: give it the cluster key (--cluster-key-file)`);
  }
  if (endpoint.stampMac === true && opts.xdp !== undefined) {
    throw new ConfigError(
      `sequencer ${sequencerId} has stampMac in the cluster config: the XDP plane stamps in the kernel, which holds no key`,
    );
  }

  warnAboutUnkeyedSequencer(logger, endpoint.host, opts.clusterKey !== undefined);

  // Replicas send REQUEST and ACK from the socket they receive ORDERED on, so the resolved address of
  // that socket identifies the replica.
  const addresses = await resolvePeerAddresses(config);
  const refresher = usesHostNames(config)
    ? setInterval(
        () => void addresses.refresh().catch((err: Error) => logger.warn({ err }, 'address refresh failed')),
        ADDRESS_REFRESH_INTERVAL_MS,
      )
    : null;
  refresher?.unref();

  const socket = await bindUdpSocket(endpoint.host, endpoint.port);
  const { multicast } = config;
  if (multicast !== undefined) sendMulticastVia(socket, endpoint.host);
  const incarnation = randomInt(1, U32_MAX);
  // REQUESTs keep their submitter's tag: the ORDERED stamped from one carries it to the replicas.
  const guard = opts.clusterKey === undefined ? null : new DatagramGuard(opts.clusterKey, true);
  const tagged = guard !== null;
  // What this process originates (COMMIT, HEARTBEAT) is tagged; an ORDERED or its copy carries its
  // submitter's tag, and with stampMac a stamp tag after it.
  const stampMac = endpoint.stampMac === true;
  const seal = (bytes: Uint8Array): Uint8Array => {
    if (guard === null) return bytes;
    if (bytes[3] !== MessageType.ORDERED) return guard.sign(bytes);
    return stampMac ? guard.signStamped(bytes) : bytes;
  };
  const xdp =
    opts.xdp === undefined
      ? null
      : await startXdpDataPlane({ xdp: opts.xdp, config, endpoint, addresses, incarnation, tagged, logger, nowMs: realClock.nowMs }).catch(
          async (err: unknown) => {
            await closeUdpSocket(socket);
            throw err;
          },
        );
  const { tickIntervalMs, ...timing } = SEQUENCER_TIMING;
  const host = new SequencerHost({
    state: createSequencer(
      {
        group: config.group,
        replicaIds: config.replicas.map((r) => r.id),
        ringCapacity: config.ringCapacity,
        datagramBytesMax: config.datagramBytesMax,
        ...timing,
        incarnation,
        kernelStamps: xdp !== null,
      },
      xdp?.ring,
    ),
    clock: realClock,
    logger,
    tickIntervalMs,
    send(to, bytes, onError) {
      const address = addresses.addressOf({ replica: to });
      socket.send(seal(bytes), address.port, address.host, (err) => {
        if (err !== null) onError();
      });
    },
    ...(xdp === null ? {} : { dataPlane: xdp.dataPlane }),
    ...(multicast === undefined
      ? {}
      : {
          multicast(bytes: Uint8Array, onError: () => void) {
            socket.send(seal(bytes), multicast.port, multicast.address, (err) => {
              if (err !== null) onError();
            });
          },
        }),
  });
  socket.on('message', (bytes: Buffer, rinfo: dgram.RemoteInfo) => {
    const from = addresses.peerOf({ host: rinfo.address, port: rinfo.port });
    const fromReplica = from !== null && 'replica' in from ? from.replica : null;
    // A stranger's datagram is dropped by the protocol as unknown-source (or malformed) whatever it carries,
    // and changes nothing there; a replica's must carry its MAC before the protocol sees it.
    if (guard === null || fromReplica === null) return host.receive(fromReplica, bytes);
    const admitted = guard.admit(bytes);
    if (admitted !== null) host.receive(fromReplica, admitted);
  });
  // After bind, socket errors are per-datagram conditions the kernel reports; the socket keeps serving.
  socket.on('error', (err) => logger.error({ err }, 'sequencer socket error'));

  const bound = socket.address();
  logger.info({ host: bound.address, port: bound.port, group: config.group, replicas: config.replicas.length }, 'sequencer listening');

  let closing: Promise<void> | null = null;
  return {
    address: { host: bound.address, port: bound.port },
    counters: () => {
      const counters = xdp === null ? host.counters() : withKernelCounters(host.counters(), xdp.counters(), config.replicas.length);
      return withMacDrops(counters, guard);
    },
    xdpCounters: () => xdp?.counters() ?? null,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        host.stop();
        xdp?.close();
        if (refresher) clearInterval(refresher);
        socket.close(() => {
          logger.info({ counters: host.counters() }, 'sequencer stopped');
          resolve();
        });
      });
      return closing;
    },
  };
}

/** With the XDP plane the kernel stamps, fans out, sends the COMMIT notices of ACKs it aggregated and answers single-seq RETRANSMITs. */
function withKernelCounters(
  counters: SequencerHostCounters,
  kernel: Record<XdpCounter, number>,
  replicaCount: number,
): SequencerHostCounters {
  return {
    ...counters,
    stamped: kernel.stamped,
    ordersSent: kernel.stamped * replicaCount,
    commitNotices: counters.commitNotices + kernel['commit-notices'],
    retransmits: counters.retransmits + kernel['retransmits-answered'],
  };
}

/** Drops by a missing or wrong MAC are counted by the node, before the protocol; 0 without a key. */
function withMacDrops(counters: SequencerHostCounters, guard: DatagramGuard | null): SequencerNodeCounters {
  return { ...counters, dropped: { ...counters.dropped, ...macDropsOf(guard) } };
}
