// The XDP sequencer program as one object: loaded (or refused, with the verifier's reason), configured
// through its maps, attached to one interface, read for counters, the last stamped seq and the ack
// aggregate, and detached. Every protocol decision stays in src/sequencer and the agent; this only moves
// bytes between them and the kernel.
import { BPF_ANY, BPF_F_LOCK, BPF_OBJECT_PATH, loadBpfAddon, type BpfAddon, type BpfObject } from './native.js';
import {
  ACKS_BYTES,
  COPY_BYTES,
  decodeAcks,
  decodeCopy,
  decodeSession,
  encodeAcks,
  encodeConfig,
  encodeReplica,
  encodeSession,
  encodeSource,
  encodeU32,
  KEY_ZERO,
  MAP_NAMES,
  SESSION_BYTES,
  sumPerCpu,
  XDP_COUNTERS,
  type UdpEndpoint,
  type XdpAcks,
  type XdpConfig,
  type XdpCopy,
  type XdpCounter,
  type XdpSession,
} from './maps.js';

export type XdpMode = 'generic' | 'native';

const PROGRAM_NAME = 'mrtom_sequencer';

export class XdpSequencerProgram {
  private linkFd: number | null = null;
  private readonly fds: Record<keyof typeof MAP_NAMES, number>;
  private readonly sessionValue = Buffer.alloc(SESSION_BYTES);
  private readonly acksValue = Buffer.alloc(ACKS_BYTES);
  private readonly copyValue = Buffer.alloc(COPY_BYTES);
  private readonly counterValue: Buffer;
  private replicaCount = 0;

  private constructor(
    private readonly addon: BpfAddon,
    private readonly object: BpfObject,
    readonly ringEntries: number,
  ) {
    const entries = Object.entries(MAP_NAMES).map(([key, name]) => [key, addon.mapFd(object, name)]);
    this.fds = Object.fromEntries(entries) as Record<keyof typeof MAP_NAMES, number>;
    this.counterValue = Buffer.alloc(8 * addon.possibleCpus());
  }

  /** Loads the program into the kernel with a ring of `ringEntries` copies; throws the verifier's log if
   *  it is refused. */
  static load(ringEntries: number, objectPath = BPF_OBJECT_PATH): XdpSequencerProgram {
    const addon = loadBpfAddon();
    return new XdpSequencerProgram(addon, addon.open(objectPath, { [MAP_NAMES.ring]: ringEntries }), ringEntries);
  }

  /** Written before attach: the program passes everything up until the config names the sequencer.
   *  `replicas` in view order. */
  configure(config: XdpConfig, replicas: readonly { id: number; address: UdpEndpoint }[]): void {
    replicas.forEach((replica, index) =>
      this.addon.update(this.fds.replicas, encodeSource(replica.address), encodeReplica(replica.id, index), BPF_ANY),
    );
    this.replicaCount = replicas.length;
    this.addon.update(this.fds.config, KEY_ZERO, encodeConfig(config), BPF_ANY);
  }

  attach(ifindex: number, mode: XdpMode): void {
    this.linkFd = this.addon.attach(this.object, PROGRAM_NAME, ifindex, mode === 'native');
  }

  /** Replaces session and seq counter together, under the lock the program stamps under. */
  startSession(session: XdpSession): void {
    this.addon.update(this.fds.session, KEY_ZERO, encodeSession(session), BPF_F_LOCK);
  }

  readSession(): XdpSession {
    this.addon.lookup(this.fds.session, KEY_ZERO, this.sessionValue, BPF_F_LOCK);
    return decodeSession(this.sessionValue);
  }

  /** The ack aggregate and the commit point ORDERED piggybacks (ignored for any other session). */
  writeAcks(acks: XdpAcks): void {
    this.addon.update(this.fds.acks, KEY_ZERO, encodeAcks(acks), BPF_F_LOCK);
  }

  readAcks(): XdpAcks {
    this.addon.lookup(this.fds.acks, KEY_ZERO, this.acksValue, BPF_F_LOCK);
    return decodeAcks(this.acksValue, this.replicaCount);
  }

  /** From now on the program passes every ACK of `session` up (the agent aggregates them itself). */
  handOverAcks(session: number): void {
    this.addon.update(this.fds.ackOwner, KEY_ZERO, encodeU32(session), BPF_ANY);
  }

  /** The ring slot `seq` maps to; whichever seq and session it holds now (the caller checks). */
  readCopy(seq: number): XdpCopy {
    this.addon.lookup(this.fds.ring, encodeU32(seq % this.ringEntries), this.copyValue, BPF_F_LOCK);
    return decodeCopy(this.copyValue);
  }

  counters(): Record<XdpCounter, number> {
    const out = {} as Record<XdpCounter, number>;
    XDP_COUNTERS.forEach((name, index) => {
      this.addon.lookup(this.fds.counters, encodeU32(index), this.counterValue, BPF_ANY);
      out[name] = sumPerCpu(this.counterValue);
    });
    return out;
  }

  /** Detaches (closing the link) and unloads. Also what the kernel does if the process dies. */
  close(): void {
    if (this.linkFd !== null) this.addon.closeFd(this.linkFd);
    this.linkFd = null;
    this.addon.close(this.object);
  }
}
