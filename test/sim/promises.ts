// Invariants on what a replica says, checked as each datagram leaves it (docs/design.md §3, §4): a replica
// speaks only for what is durable on its disk, so a crash right after any send never breaks a promise.
//   - view promises: every message that votes, leads or acknowledges in a (view, session) — and its
//     sequencer binding, for ACK and RETRANSMIT — is covered by the view state on disk (always synced);
//   - durable ACKs (durability fsync): every seq at or below an ACK's `through` is on disk, as the request
//     or as the NO-OP the ACK reports, in the log or below the applied slot — and still is when the machine
//     crashes, unless a view change since moved the replica on (a trim or torn write must never take it).
// They read the simulated disk's durable image through the production codecs (src/store).
import type { Durability } from '../../src/config/cluster.js';
import type { ViewState } from '../../src/consensus/view-state.js';
import { readHeader, MessageType, HEADER_BYTES, type Header } from '../../src/mrtom/header.js';
import { decodeNoopsBody } from '../../src/mrtom/messages.js';
import { decodeMeta, decodeViewState } from '../../src/store/codec.js';
import { META_KEY, VIEW_STATE_KEY } from '../../src/store/keys.js';
import { INSTALLING_KEY } from '../../src/store/snapshot.js';
import { DurableLog } from './durable-log.js';
import { InvariantViolation } from './invariants.js';
import type { SimDisk } from './sim-disk.js';

/** The last ACK a replica sent, checked against its disk: what a crash must not take. */
interface AckPromise {
  view: number;
  session: number;
  seq: number;
  noops: Set<number>;
}

/** Messages that are promises in their (view, session); LOG_REQUEST/LOG_REPLY only fetch, REQUEST is a client's. */
const PROMISING = new Set<MessageType>([
  MessageType.ACK,
  MessageType.RETRANSMIT,
  MessageType.SESSION_START,
  MessageType.VIEW_CHANGE_REQUEST,
  MessageType.VIEW_CHANGE,
  MessageType.START_VIEW,
  MessageType.START_VIEW_REPLY,
  MessageType.SYNC,
  MessageType.RECOVERY,
  MessageType.RECOVERY_REPLY,
]);

const VIEW_ROOT_KEY = `!meta!${VIEW_STATE_KEY}`;
const META_ROOT_KEY = `!meta!${META_KEY}`;

export class PromiseInvariants {
  private readonly views = new Map<number, { version: number; view: ViewState | null }>();
  private readonly logs = new Map<number, DurableLog>();
  private readonly acks = new Map<number, AckPromise>();

  constructor(
    private readonly disks: ReadonlyMap<number, SimDisk>,
    private readonly durability: Durability,
  ) {
    for (const [replica, disk] of disks) this.logs.set(replica, new DurableLog(disk));
  }

  /** The replica's machine just crashed: what it ACKed in the view and session still on disk must be there. */
  onCrash(replica: number): void {
    this.checkStillHeld(replica, 'and then crashed');
  }

  /** The replica's log dropped segments: they must not have held what it ACKed and has not durably applied. */
  onLogTrimmed(replica: number): void {
    this.checkStillHeld(replica, 'and then trimmed its log');
  }

  private checkStillHeld(replica: number, when: string): void {
    const ack = this.acks.get(replica);
    const disk = this.disks.get(replica)!;
    const view = this.durableView(replica, disk);
    if (ack === undefined || view === null || view.view !== ack.view || view.session !== ack.session) return;
    // A crash mid-install is a visible loss: the restart discards the state and recovers it from peers.
    if (disk.durableValue(INSTALLING_KEY) !== undefined) return;
    this.checkHeld(replica, disk, view, ack, when);
  }

  onSend(replica: number, bytes: Uint8Array): void {
    const header = readHeader(bytes);
    if (!PROMISING.has(header.type)) return;
    const disk = this.disks.get(replica)!;
    const view = this.durableView(replica, disk);
    const claim = `${MessageType[header.type]} in view ${header.view} session ${header.session}`;
    if (view === null || view.view < header.view || view.session < header.session) {
      const onDisk = view === null ? 'no view state' : `view ${view.view} session ${view.session}`;
      throw new InvariantViolation(`r${replica} sent ${claim}, but its disk holds ${onDisk}`, null, replica);
    }
    if (header.type !== MessageType.ACK && header.type !== MessageType.RETRANSMIT) return;
    if (view.sequencerIncarnation !== (header.incarnation ?? 0)) {
      throw new InvariantViolation(
        `r${replica} sent ${claim} bound to sequencer ${header.incarnation}, but its disk binds ${view.sequencerIncarnation}`,
        null,
        replica,
      );
    }
    if (header.type === MessageType.ACK && this.durability === 'fsync') this.checkDurableAck(replica, disk, view, header, bytes);
  }

  private checkDurableAck(replica: number, disk: SimDisk, view: ViewState, header: Header, bytes: Uint8Array): void {
    if (view.session !== header.session) return; // Acking an older session's seqs is refused by the sequencer anyway.
    const ack = {
      view: header.view,
      session: header.session,
      seq: header.seq,
      noops: new Set(decodeNoopsBody(bytes.subarray(HEADER_BYTES)).noops),
    };
    this.checkHeld(replica, disk, view, ack, '');
    this.acks.set(replica, ack);
  }

  private checkHeld(replica: number, disk: SimDisk, view: ViewState, ack: AckPromise, when: string): void {
    const metaBytes = disk.durableValue(META_ROOT_KEY);
    const appliedSlot = metaBytes === undefined ? 0 : decodeMeta(metaBytes).appliedSlot;
    const log = this.logs.get(replica)!;
    for (let seq = Math.max(1, appliedSlot - view.sessionBase + 1); seq <= ack.seq; seq++) {
      const slot = view.sessionBase + seq;
      const entry = log.entry(slot);
      const held = entry !== undefined && entry.session === ack.session && entry.seq === seq;
      // Gap agreement may turn a request ACKed earlier into a NO-OP; the next ACK reports it.
      const sameKind = entry?.noop === ack.noops.has(seq) || (when !== '' && entry?.noop === true);
      if (!held || !sameKind) {
        const onDisk = entry === undefined ? 'nothing' : `s${entry.session}/q${entry.seq}${entry.noop ? ' NO-OP' : ''}`;
        const noop = ack.noops.has(seq) ? ` with seq ${seq} a NO-OP` : '';
        throw new InvariantViolation(
          `r${replica} ACKed s${ack.session} through seq ${ack.seq}${noop}${when ? ` ${when}` : ''}, but its disk holds ${onDisk} at slot ${slot}`,
          slot,
          replica,
        );
      }
    }
  }

  private durableView(replica: number, disk: SimDisk): ViewState | null {
    const cached = this.views.get(replica);
    if (cached?.version === disk.version) return cached.view;
    const bytes = disk.durableValue(VIEW_ROOT_KEY);
    const view = bytes === undefined ? null : decodeViewState(bytes);
    this.views.set(replica, { version: disk.version, view });
    return view;
  }
}
