// What the sequencer counts, read by the runtime for metrics. Every dropped datagram is counted under
// exactly one reason (docs/design.md §2 step 4) so an operator can tell misconfiguration from attack from loss.

export const DROP_REASONS = [
  /** Not a well-formed MRTOM header (decodeDatagram failed). */
  'malformed',
  'wrong-group',
  /** The source address is not a configured replica. */
  'unknown-source',
  /** ORDERED, COMMIT, HEARTBEAT or a replica-to-replica type sent to the sequencer. */
  'unexpected-type',
  /** A REQUEST, ACK or RETRANSMIT while no session was given to this sequencer (docs/design.md §3). */
  'no-session',
  /** A SESSION_START older than the session served, or naming another view for it. */
  'stale-session',
  /** A REQUEST already stamped, or an ACK/RETRANSMIT of another session. */
  'wrong-session',
  /** An ACK/RETRANSMIT whose sender id is not the replica its source address belongs to. */
  'sender-mismatch',
  /** An ACK/RETRANSMIT of the current session but another view (a view is fixed per session). */
  'stale-view',
  /** An ACK/RETRANSMIT from a replica bound to another incarnation of this session (a restart's twin). */
  'stale-incarnation',
  /** The ACK or RETRANSMIT body does not decode, an ACK reports a NO-OP above its own `through`, or a
   *  SESSION_START carries a body. */
  'malformed-body',
  /** An ACK claiming to hold seqs that were never stamped in this session. */
  'through-beyond-stamped',
  /** A REQUEST longer than the config's datagramBytesMax (the submitters' limit, fitting one frame for XDP). */
  'oversized',
  /** A REQUEST the XDP program passed up unstamped though it was stampable: one that arrived in the instant
   *  between a new session reaching this machine and reaching the kernel (docs/xdp.md). */
  'unstampable',
] as const;

export type DropReason = (typeof DROP_REASONS)[number];

export interface SequencerCounters {
  /** REQUESTs stamped with a seq. */
  stamped: number;
  /** ORDERED datagrams sent on first fan-out (stamped × replicas). */
  ordersSent: number;
  /** ORDERED copies resent, on timeout or on a replica's RETRANSMIT request. */
  retransmits: number;
  /** Unacked copies evicted from a full ring; those slots can only be repaired by the replicas' slow path. */
  ringDrops: number;
  /** COMMIT announcements (each one goes to every replica). */
  commitNotices: number;
  /** HEARTBEAT announcements (each one goes to every replica). */
  heartbeats: number;
  /** Sessions adopted from a leader's SESSION_START (a repeated SESSION_START of the same session is not counted). */
  sessionStarts: number;
  dropped: Record<DropReason, number>;
}

export function createCounters(): SequencerCounters {
  const dropped = Object.fromEntries(DROP_REASONS.map((reason) => [reason, 0])) as Record<DropReason, number>;
  return { stamped: 0, ordersSent: 0, retransmits: 0, ringDrops: 0, commitNotices: 0, heartbeats: 0, sessionStarts: 0, dropped };
}
