// The XDP sequencer program as one object: loaded (or refused, with the verifier's reason), configured
// through its maps, attached to one interface, read for counters and the last stamped seq, and detached.
// Every protocol decision stays in src/sequencer; this only moves bytes between the agent and the kernel.
import { BPF_ANY, BPF_F_LOCK, BPF_OBJECT_PATH, loadBpfAddon, type BpfAddon, type BpfObject } from './native.js';
import {
  decodeSession,
  encodeCommit,
  encodeConfig,
  encodeCounterKey,
  encodeReplicaId,
  encodeSession,
  encodeSource,
  KEY_ZERO,
  MAP_NAMES,
  SESSION_BYTES,
  sumPerCpu,
  XDP_COUNTERS,
  type UdpEndpoint,
  type XdpConfig,
  type XdpCounter,
  type XdpSession,
} from './maps.js';

export type XdpMode = 'generic' | 'native';

const PROGRAM_NAME = 'mrtom_sequencer';

export class XdpSequencerProgram {
  private linkFd: number | null = null;
  private readonly fds: Record<keyof typeof MAP_NAMES, number>;
  private readonly sessionValue = Buffer.alloc(SESSION_BYTES);
  private readonly counterValue: Buffer;

  private constructor(
    private readonly addon: BpfAddon,
    private readonly object: BpfObject,
  ) {
    const fd = (name: keyof typeof MAP_NAMES): number => addon.mapFd(object, MAP_NAMES[name]);
    this.fds = { config: fd('config'), session: fd('session'), commit: fd('commit'), replicas: fd('replicas'), counters: fd('counters') };
    this.counterValue = Buffer.alloc(8 * addon.possibleCpus());
  }

  /** Loads the program into the kernel; throws the verifier's log if it is refused. */
  static load(objectPath = BPF_OBJECT_PATH): XdpSequencerProgram {
    const addon = loadBpfAddon();
    return new XdpSequencerProgram(addon, addon.open(objectPath));
  }

  /** Written before attach: the program passes everything up until the config names the sequencer. */
  configure(config: XdpConfig, replicas: readonly { id: number; address: UdpEndpoint }[]): void {
    for (const replica of replicas)
      this.addon.update(this.fds.replicas, encodeSource(replica.address), encodeReplicaId(replica.id), BPF_ANY);
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

  /** The commit point ORDERED piggybacks; the program ignores it for any other session. */
  setCommit(session: number, commit: number): void {
    this.addon.update(this.fds.commit, KEY_ZERO, encodeCommit(session, commit), BPF_F_LOCK);
  }

  counters(): Record<XdpCounter, number> {
    const out = {} as Record<XdpCounter, number>;
    XDP_COUNTERS.forEach((name, index) => {
      this.addon.lookup(this.fds.counters, encodeCounterKey(index), this.counterValue, BPF_ANY);
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
