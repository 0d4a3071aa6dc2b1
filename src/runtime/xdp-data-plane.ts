// The XDP data plane's side of the sequencer process (docs/xdp.md): loads the program onto the interface,
// writes the cluster's addresses into its maps, and keeps the kernel and the pure state machine in step.
// The kernel stamps REQUESTs and aggregates ACKs without NO-OPs; everything it passes up goes through the
// same SequencerHost as in the userspace plane, so SESSION_START, RETRANSMIT, ACKs with NO-OPs, drops and
// their counters follow the same code. Before each step the machine learns the kernel's last stamped seq,
// throughs and commit; after it, a new session (or, once it aggregates ACKs itself, commit) goes down.
import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import { ConfigError, type ClusterConfig, type SequencerEndpoint } from '../config/cluster.js';
import { faultsToleratedOf } from '../mrtom/group.js';
import { HEADER_BYTES, MessageType } from '../mrtom/header.js';
import { missingXdpCapabilities, XDP_CAPABILITIES } from '../sequencer/xdp/capabilities.js';
import { readInterface } from '../sequencer/xdp/interface.js';
import { COPY_BYTES_MAX, type XdpAcks, type XdpCounter } from '../sequencer/xdp/maps.js';
import { noteThroughAdvance } from '../sequencer/acks.js';
import { KernelCopyRing } from './xdp-copy-ring.js';
import type { SequencerState } from '../sequencer/state.js';
import { XdpSequencerProgram, type XdpMode } from '../sequencer/xdp/program.js';
import type { PeerAddresses } from './addresses.js';
import type { SequencerDataPlane } from './sequencer-host.js';

export interface XdpOptions {
  interfaceName: string;
  mode: XdpMode;
  /** The BPF object; default the one `npm run build:xdp` built. */
  objectPath?: string;
}

export interface XdpDataPlane {
  dataPlane: SequencerDataPlane;
  /** The stamped copies, in the program's ring map. */
  ring: KernelCopyRing;
  counters(): Record<XdpCounter, number>;
  close(): void;
}

/** IPv4 (20) + UDP (8): what a datagram adds to its MRTOM bytes in one frame. */
const IP_UDP_HEADER_BYTES = 28;

export async function startXdpDataPlane(options: {
  xdp: XdpOptions;
  config: ClusterConfig;
  endpoint: SequencerEndpoint;
  addresses: PeerAddresses;
  incarnation: number;
  /** Datagrams carry MACs the kernel cannot check (datagram-mac.ts): this process aggregates every
   *  session's ACKs and answers its RETRANSMITs from the session's start, after checking them. */
  tagged: boolean;
  logger: Logger;
  /** The sequencer host's clock, on which copies' stamp times are given. */
  nowMs: () => number;
}): Promise<XdpDataPlane> {
  const { xdp, config, endpoint, incarnation, logger } = options;
  const { multicast } = config;
  if (multicast === undefined) throw new ConfigError('the XDP data plane fans out by multicast: the cluster config needs `multicast`');
  // The program matches REQUESTs by destination address: a host name counts as what it resolved to at start
  // (in Kubernetes, a host-network pod's name resolves to its node's address).
  const self = options.addresses.addressOf({ sequencer: endpoint.id });
  const link = await readInterface(xdp.interfaceName);
  // A REQUEST that does not fit one frame arrives as IP fragments, which the program never stamps:
  // submitters must be limited to what fits (datagramBytesMax is their limit, docs/xdp.md).
  if (config.datagramBytesMax + IP_UDP_HEADER_BYTES > link.mtu) {
    throw new ConfigError(
      `datagramBytesMax ${config.datagramBytesMax} + ${IP_UDP_HEADER_BYTES} exceeds the MTU ${link.mtu} of ${link.name}: set datagramBytesMax <= ${link.mtu - IP_UDP_HEADER_BYTES} so every REQUEST is stamped in the kernel`,
    );
  }
  if (config.datagramBytesMax > COPY_BYTES_MAX) {
    throw new ConfigError(`the XDP program keeps copies of at most ${COPY_BYTES_MAX} bytes: set datagramBytesMax <= ${COPY_BYTES_MAX}`);
  }

  const missing = missingXdpCapabilities(await readFile('/proc/self/status', 'utf8'));
  if (missing.length > 0) {
    const named = (caps: readonly string[]): string => caps.map((c) => `CAP_${c}`).join(', ');
    throw new ConfigError(
      `the XDP data plane needs ${named(Object.keys(XDP_CAPABILITIES))} (or root); this process lacks ${named(missing)}`,
    );
  }
  const program = XdpSequencerProgram.load(config.ringCapacity, xdp.objectPath);
  try {
    program.configure(
      {
        group: config.group,
        sequencer: { ip: self.host, port: self.port },
        multicast: { ip: multicast.address, port: multicast.port },
        interfaceMac: link.mac,
        datagramBytesMax: config.datagramBytesMax,
        replicaCount: config.replicas.length,
        faultsTolerated: faultsToleratedOf(config.replicas.length),
        ringEntries: config.ringCapacity,
      },
      config.replicas.map((r) => {
        const address = options.addresses.addressOf({ replica: r.id });
        return { id: r.id, address: { ip: address.host, port: address.port } };
      }),
    );
    program.attach(link.ifindex, xdp.mode);
  } catch (err) {
    program.close();
    throw err;
  }
  logger.info({ interface: link.name, ifindex: link.ifindex, mode: xdp.mode, mtu: link.mtu }, 'XDP program attached');

  const replicaIds = config.replicas.map((r) => r.id);
  const ring = new KernelCopyRing(program, options.nowMs);
  // What the kernel was last told, so only changes cost a syscall.
  let session = 0;
  let view = 0;
  let commit = 0;
  // The kernel aggregates a session's ACKs until one carries NO-OPs; from then on this process does.
  let acksHandedOver = false;
  return {
    dataPlane: {
      beforeStep(state, input) {
        if (state.session === 0) return;
        const kernel = program.readSession();
        if (kernel.session === state.session && kernel.seqLast !== state.seqLast) {
          state.seqLast = kernel.seqLast;
          state.stampedLastMs = input.nowMs;
        }
        if (!acksHandedOver) {
          if (input.kind === 'datagram' && input.fromReplica !== null && carriesNoops(input.bytes)) {
            // Set before the read below: an ACK the kernel takes after it passes up to us instead.
            program.handOverAcks(state.session);
            acksHandedOver = true;
          }
          pullAcks(state, program.readAcks(), replicaIds, input.nowMs);
          commit = state.commit;
        }
        if (kernel.session === state.session) {
          state.counters.ringDrops += ring.advance(state.session, state.seqLast, Math.min(...state.throughs.values()));
        }
      },
      afterStep(state) {
        if (state.session !== session || state.view !== view) {
          ({ session, view } = state);
          commit = 0;
          // With MACs the kernel judges no ACK or RETRANSMIT of the session, not even an untagged forgery
          // that its checks would take: owning the session before the kernel serves it passes them all up.
          acksHandedOver = options.tagged;
          if (options.tagged) program.handOverAcks(session);
          // The aggregate first: the session is the kernel's signal that everything for it is in place.
          program.writeAcks({ session, commit: 0, throughs: replicaIds.map(() => 0) });
          program.startSession({ session, view, incarnation, seqLast: state.seqLast });
        }
        if (acksHandedOver && state.commit !== commit) {
          commit = state.commit;
          program.writeAcks({ session, commit, throughs: replicaIds.map((id) => state.throughs.get(id) ?? 0) });
        }
      },
    },
    ring,
    counters: () => program.counters(),
    close() {
      program.close();
      logger.info({ interface: link.name }, 'XDP program detached');
    },
  };
}

/** An ACK with a body: the NO-OP lists the kernel does not read (docs/xdp.md). */
function carriesNoops(bytes: Uint8Array): boolean {
  return bytes.byteLength > HEADER_BYTES && bytes[3] === MessageType.ACK;
}

/** What the kernel aggregated since the last step: throughs and commit only grow; its COMMIT notices
 *  went out from the kernel, so they count as announced. */
function pullAcks(state: SequencerState, acks: XdpAcks, replicaIds: readonly number[], nowMs: number): void {
  if (acks.session !== state.session) return;
  replicaIds.forEach((id, index) => {
    const through = acks.throughs[index] ?? 0;
    if (through <= (state.throughs.get(id) ?? 0)) return;
    noteThroughAdvance(state, id, through, nowMs);
    state.throughs.set(id, through);
  });
  state.commit = Math.max(state.commit, acks.commit);
  state.commitAnnounced = Math.max(state.commitAnnounced, acks.commit);
}
