// A keyed process's receive and send paths for datagrams (datagram-mac.ts): what it receives is checked
// before the protocol sees it, each drop counted by reason, and what it sends is tagged. A process without
// a key builds no guard, so its per-datagram path is the one it had (replica-node.ts, sequencer-node.ts).
import { MessageType } from '../mrtom/header.js';
import { checkDatagramTag, datagramKeyOf, signDatagram, stripDatagramTag, type DatagramMacDropReason } from './datagram-mac.js';

export class DatagramGuard {
  private readonly key: Buffer;
  private readonly dropped: Record<DatagramMacDropReason, number> = { 'mac-missing': 0, 'mac-mismatch': 0 };
  /** The last datagram signed and its signed form: a fan-out by unicast sends one datagram N times. */
  private signedLast: { plain: Uint8Array; signed: Buffer } | null = null;

  /** `keepsRequestTags`: a sequencer hands REQUESTs on with their tag, which their ORDERED must carry. */
  constructor(
    clusterKey: Buffer,
    private readonly keepsRequestTags: boolean,
  ) {
    this.key = datagramKeyOf(clusterKey);
  }

  /** The datagram the protocol may see, or null: dropped, and counted by reason. */
  admit(datagram: Buffer): Buffer | null {
    const reason = checkDatagramTag(this.key, datagram);
    if (reason !== null) {
      this.dropped[reason] += 1;
      return null;
    }
    return this.keepsRequestTags && datagram[3] === MessageType.REQUEST ? datagram : stripDatagramTag(datagram);
  }

  sign(datagram: Uint8Array): Buffer {
    if (this.signedLast?.plain !== datagram) this.signedLast = { plain: datagram, signed: signDatagram(this.key, datagram) };
    return this.signedLast.signed;
  }

  drops(): Readonly<Record<DatagramMacDropReason, number>> {
    return { ...this.dropped };
  }
}
