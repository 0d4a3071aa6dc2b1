// A keyed process's receive and send paths for datagrams (datagram-mac.ts): what it receives is checked
// before the protocol sees it, each drop counted by reason, and what it sends is tagged. A process without
// a key builds no guard, so its per-datagram path is the one it had (replica-node.ts, sequencer-node.ts).
import { MessageType } from '../mrtom/header.js';
import {
  checkDatagramTag,
  checkStampTag,
  datagramKeyOf,
  signDatagram,
  signStamp,
  stampKeyOf,
  stripDatagramTag,
  type DatagramMacDropReason,
} from './datagram-mac.js';

function noMacDrops(): Record<DatagramMacDropReason, number> {
  return { 'mac-missing': 0, 'mac-mismatch': 0 };
}

/** What a process dropped for a missing or wrong MAC: zeros without a key (no guard), so the series exist. */
export function macDropsOf(guard: DatagramGuard | null): Readonly<Record<DatagramMacDropReason, number>> {
  return guard?.drops() ?? noMacDrops();
}

export class DatagramGuard {
  private readonly key: Buffer;
  private readonly stampKey: Buffer;
  private readonly dropped = noMacDrops();
  /** The last datagram signed and its signed form: a fan-out by unicast sends one datagram N times. */
  private signedLast: { plain: Uint8Array; signed: Buffer } | null = null;

  /** `keepsRequestTags`: a sequencer hands REQUESTs on with their tag, which their ORDERED must carry. */
  constructor(
    clusterKey: Buffer,
    private readonly keepsRequestTags: boolean,
  ) {
    this.key = datagramKeyOf(clusterKey);
    this.stampKey = stampKeyOf(clusterKey);
  }

  /** The datagram the protocol may see, or null: dropped, and counted by reason. `stampsTagged`: it comes
   *  from a sequencer that tags its stamps (cluster.json `stampMac`), so an ORDERED must end in a stamp tag. */
  admit(datagram: Buffer, stampsTagged = false): Buffer | null {
    let checked = datagram;
    if (stampsTagged && datagram[3] === MessageType.ORDERED) {
      const stampReason = checkStampTag(this.stampKey, datagram);
      if (stampReason !== null) return this.drop(stampReason);
      checked = stripDatagramTag(datagram);
    }
    const reason = checkDatagramTag(this.key, checked);
    if (reason !== null) return this.drop(reason);
    return this.keepsRequestTags && checked[3] === MessageType.REQUEST ? checked : stripDatagramTag(checked);
  }

  /** A datagram this process originates, with its sender's tag. */
  sign(datagram: Uint8Array): Buffer {
    return this.sealed(datagram, () => signDatagram(this.key, datagram));
  }

  /** An ORDERED this sequencer stamped (or a copy of it), with a stamp tag after its submitter's. */
  signStamped(ordered: Uint8Array): Buffer {
    return this.sealed(ordered, () => signStamp(this.stampKey, ordered));
  }

  private sealed(plain: Uint8Array, seal: () => Buffer): Buffer {
    if (this.signedLast?.plain !== plain) this.signedLast = { plain, signed: seal() };
    return this.signedLast.signed;
  }

  private drop(reason: DatagramMacDropReason): null {
    this.dropped[reason] += 1;
    return null;
  }

  drops(): Readonly<Record<DatagramMacDropReason, number>> {
    return { ...this.dropped };
  }
}
