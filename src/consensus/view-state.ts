// The replica's durable view state (docs/design.md §3): its promise to peers. Stored apart from the applied
// state because it changes on view and session changes, not when entries apply.

export interface ViewState {
  view: number;
  session: number;
  sequencerId: number;
  /** The sequencer process whose stamps this session's log holds (0 until the leader has bound one). */
  sequencerIncarnation: number;
  /** The slot right before seq 1 of `session`, so slot = sessionBase + seq within the session. */
  sessionBase: number;
  /** The latest view and session in which this replica's status was normal (NOPaxos view change). */
  lastNormalView: number;
  lastNormalSession: number;
}
