// The cluster's revision history as the simulated watches delivered it (sim-watch.ts): the oracle for
// stale reads, reads at a revision and lease revokes once the run is over. With compaction no replica
// keeps the whole history, so the log is what the watches saw while it was there, each revision from the
// first node that delivered it; every other node must deliver the same events at that revision. A range
// no watch was complete over (every watcher down, or skipped past it by compaction) stays unknown, and
// what depends on it is not judged.
import type { Observed } from './history.js';

/** One change as a watch frame carries it (src/api/watch-stream.ts). */
export interface FrameEvent {
  type: 'put' | 'delete';
  key: string;
  /** Base64, for puts. */
  value?: string;
  modRevision: number;
}

/** A closed range of revisions. */
type Span = [from: number, through: number];

export class RevisionLog {
  private readonly frames = new Map<number, { node: number; events: readonly FrameEvent[]; json: string }>();
  private readonly spans: Span[] = [];
  private merged: Span[] | null = null;

  /** Node `node` delivered `events` at `revision`: the problem if another node delivered otherwise. */
  record(node: number, revision: number, events: readonly FrameEvent[]): string | null {
    const json = JSON.stringify(events);
    const known = this.frames.get(revision);
    if (known === undefined) {
      this.frames.set(revision, { node, events, json });
      return null;
    }
    return known.json === json
      ? null
      : `watches disagree at revision ${revision}: r${known.node} delivered ${known.json}, r${node} ${json}`;
  }

  /** Some watch delivered every revision from `from` through `through` (a stream is gap-free). */
  cover(from: number, through: number): void {
    if (through < from) return;
    this.spans.push([from, through]);
    this.merged = null;
  }

  eventsAt(revision: number): readonly FrameEvent[] | null {
    if (this.spanOf(revision) === null) return null;
    return this.frames.get(revision)?.events ?? [];
  }

  /** The highest revision delivered. */
  lastRevision(): number {
    return this.coveredSpans().at(-1)?.[1] ?? 0;
  }

  /** The key's state at `revision`, or null when the history delivered cannot tell: its last change at or
   *  before `revision` must lie in the same gap-free range, or that range must reach back to revision 1. */
  stateAt(key: string, revision: number): Observed | null {
    const span = this.spanOf(revision);
    if (span === null) return null;
    for (let at = revision; at >= span[0]; at--) {
      const change = [...(this.frames.get(at)?.events ?? [])].reverse().find((event) => event.key === key);
      if (change === undefined) continue;
      return change.type === 'delete'
        ? { value: null, modRevision: null }
        : { value: Buffer.from(change.value ?? '', 'base64').toString('utf8'), modRevision: change.modRevision };
    }
    return span[0] === 1 ? { value: null, modRevision: null } : null;
  }

  /** Revisions up to the last one delivered that no watch was complete over. */
  unknownRevisions(): number {
    let known = 0;
    for (const [from, through] of this.coveredSpans()) known += through - from + 1;
    return this.lastRevision() - known;
  }

  private spanOf(revision: number): Span | null {
    return this.coveredSpans().find(([from, through]) => from <= revision && revision <= through) ?? null;
  }

  private coveredSpans(): Span[] {
    if (this.merged !== null) return this.merged;
    const merged: Span[] = [];
    for (const [from, through] of [...this.spans].sort((a, b) => a[0] - b[0])) {
      const last = merged.at(-1);
      if (last !== undefined && from <= last[1] + 1) last[1] = Math.max(last[1], through);
      else merged.push([from, through]);
    }
    return (this.merged = merged);
  }
}
