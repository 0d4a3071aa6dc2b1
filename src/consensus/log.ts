// Changes to the replica's log and what follows from them: appending in slot order, imposing NO-OPs,
// discarding an uncommitted tail, and applying the committed prefix. Every change that must be durable
// comes back as an effect.
import type { LogEntry } from './log-entry.js';
import type { ReplicaEffect } from './types.js';
import type { ReplicaState } from './state.js';

export function noopEntry(state: ReplicaState, slot: number): LogEntry {
  return {
    slot,
    session: state.vs.session,
    seq: slot - state.vs.sessionBase,
    view: state.vs.view,
    clientId: 0,
    requestId: 0,
    body: new Uint8Array(0),
    noop: true,
  };
}

function persist(state: ReplicaState, entries: LogEntry[]): ReplicaEffect[] {
  return entries.length === 0 ? [] : [{ kind: 'persist-log', entries, epoch: state.persistEpoch }];
}

/** The overlay wins: a slot the merged log holds as a NO-OP stays a NO-OP whatever a peer sends. */
function overlaid(state: ReplicaState, entry: LogEntry): LogEntry {
  return state.noopOverlay.has(entry.slot) && !entry.noop
    ? { ...entry, body: new Uint8Array(0), noop: true, clientId: 0, requestId: 0 }
    : entry;
}

/** Records a NO-OP of the current session in the list ACKs and SYNCs report (kept ascending). */
function noteSessionNoop(state: ReplicaState, seq: number): void {
  if (state.sessionNoops.includes(seq)) return;
  state.sessionNoops.push(seq);
  state.sessionNoops.sort((a, b) => a - b);
}

/** Appends `entry` at through+1, then everything pending that now follows without a gap. */
export function appendInOrder(state: ReplicaState, entry: LogEntry): ReplicaEffect[] {
  if (entry.slot !== state.through + 1) throw new Error(`append of slot ${entry.slot} after through ${state.through}`);
  const appended: LogEntry[] = [];
  let next: LogEntry | undefined = entry;
  while (next) {
    const placed = overlaid(state, next);
    state.pending.delete(placed.slot);
    state.log.set(placed.slot, placed);
    // A NO-OP shipped by the leader (LOG_REPLY) is one of this session's: ACKs must report it as such.
    if (placed.noop && placed.session === state.vs.session && placed.slot > state.vs.sessionBase) noteSessionNoop(state, placed.seq);
    state.through = placed.slot;
    appended.push(placed);
    next = state.pending.get(state.through + 1);
  }
  if (state.gap && state.gap.slot <= state.through) state.gap = null;
  state.counters.appended += appended.length;
  return persist(state, appended);
}

/** Makes `slot` of the current session a NO-OP, whether the replica holds it, buffers it, or lacks it. */
export function imposeNoop(state: ReplicaState, slot: number): ReplicaEffect[] {
  const seq = slot - state.vs.sessionBase;
  if (seq < 1) throw new Error(`NO-OP at slot ${slot} is not in session ${state.vs.session}`);
  noteSessionNoop(state, seq);
  const held = state.log.get(slot);
  if (slot <= state.applied) {
    // Agreement makes this impossible: a slot is applied only once its NO-OPs are known.
    if (held && !held.noop) throw new Error(`slot ${slot} was applied as a request but the leader holds a NO-OP`);
    return [];
  }
  const noop = noopEntry(state, slot);
  if (slot <= state.through) {
    if (held?.noop) return [];
    return replaceWithNoop(state, noop);
  }
  if (slot === state.through + 1) return appendInOrder(state, noop);
  state.pending.set(slot, noop);
  return [];
}

/** Replaces a held entry; until the NO-OP is durable, ACKs must not claim the slot. */
export function replaceWithNoop(state: ReplicaState, noop: LogEntry): ReplicaEffect[] {
  state.log.set(noop.slot, noop);
  state.persistedThrough = Math.min(state.persistedThrough, noop.slot - 1);
  state.ackDue = true;
  return persist(state, [noop]);
}

/** Discards every entry above `slot` (an uncommitted tail the merged log does not keep). */
export function truncateAfter(state: ReplicaState, slot: number): ReplicaEffect[] {
  if (slot < state.applied) throw new Error(`truncation to ${slot} below applied ${state.applied}`);
  if (slot >= state.through) return [];
  for (let s = slot + 1; s <= state.through; s++) state.log.delete(s);
  state.through = slot;
  state.persistedThrough = Math.min(state.persistedThrough, slot);
  state.persistEpoch += 1;
  return [{ kind: 'truncate-log', afterSlot: slot }];
}

/** Applies the committed prefix the replica holds, and trims the applied window kept for peers. */
export function applyCommitted(state: ReplicaState): ReplicaEffect[] {
  if (state.snapshot) return []; // The store is being replaced.
  const target = Math.min(state.commit, state.through);
  if (target <= state.applied) return [];
  const entries: LogEntry[] = [];
  for (let slot = state.applied + 1; slot <= target; slot++) {
    const entry = state.log.get(slot);
    if (!entry) throw new Error(`log has no entry for slot ${slot} ≤ through ${state.through}`);
    entries.push(entry);
  }
  state.applied = target;
  while (state.logStart <= state.applied - state.options.logRetainEntries) {
    state.log.delete(state.logStart);
    state.logStart += 1;
  }
  return [{ kind: 'apply', entries }];
}
