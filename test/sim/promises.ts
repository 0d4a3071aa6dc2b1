// Invariants on what a replica says, checked as each datagram leaves it (docs/design.md §3, §4): a replica
// speaks only for what is durable on its disk, so a crash right after any send never breaks a promise.
//   - view promises: every message that votes, leads or acknowledges in a (view, session) — and its
//     sequencer binding, for ACK and RETRANSMIT — is covered by the view state on disk (always synced);
//   - durable ACKs (durability fsync): every seq at or below an ACK's `through` is on disk, as the request
//     or as the NO-OP the ACK reports, in the log or below the applied slot.
// They read the simulated disk's durable image through the production codecs (src/store).
import type { Durability } from '../../src/config/cluster.js';
import type { ViewState } from '../../src/consensus/view-state.js';
import { readHeader, MessageType, HEADER_BYTES, type Header } from '../../src/mrtom/header.js';
import { decodeNoopsBody } from '../../src/mrtom/messages.js';
import { decodeLogEntry, decodeMeta, decodeViewState } from '../../src/store/codec.js';
import { logKey, META_KEY, VIEW_STATE_KEY } from '../../src/store/keys.js';
import { InvariantViolation } from './invariants.js';
import type { SimDisk } from './sim-disk.js';

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

  constructor(
    private readonly disks: ReadonlyMap<number, SimDisk>,
    private readonly durability: Durability,
  ) {}

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
    const noops = new Set(decodeNoopsBody(bytes.subarray(HEADER_BYTES)).noops);
    const metaBytes = disk.durableValue(META_ROOT_KEY);
    const appliedSlot = metaBytes === undefined ? 0 : decodeMeta(metaBytes).appliedSlot;
    for (let seq = Math.max(1, appliedSlot - view.sessionBase + 1); seq <= header.seq; seq++) {
      const slot = view.sessionBase + seq;
      const stored = disk.durableValue(`!log!${logKey(slot)}`);
      const entry = stored === undefined ? null : decodeLogEntry(stored);
      const held = entry !== null && entry.session === header.session && entry.seq === seq;
      if (!held || entry.noop !== noops.has(seq)) {
        const onDisk = entry === null ? 'nothing' : `s${entry.session}/q${entry.seq}${entry.noop ? ' NO-OP' : ''}`;
        throw new InvariantViolation(
          `r${replica} ACKed s${header.session} through seq ${header.seq}${noops.has(seq) ? ` with seq ${seq} a NO-OP` : ''}, but its disk holds ${onDisk} at slot ${slot}`,
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
