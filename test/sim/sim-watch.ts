// A watch client of one simulated node: the production WatchStream (src/api/watch-stream.ts) on the
// node's service, opened as GET /v1/watch?prefix= opens it, writing NDJSON into an in-memory body. It
// watches every key from revision 1 and resumes after every end (crash, failed read, compaction) at the
// revision after the last frame, as the SDK does; a resume refused as compacted (410) goes on at the
// oldest revision left. A stream must deliver revisions in increasing order, never one twice, and each
// the same as every other node did (revision-log.ts).
import { Writable } from 'node:stream';
import type { Clock } from '../../src/runtime/clock.js';
import type { KvService } from '../../src/api/service.js';
import { firstWatchPage, WatchStream } from '../../src/api/watch-stream.js';
import type { FrameEvent, RevisionLog } from './revision-log.js';
import type { Scheduler } from './scheduler.js';
import type { Tracer } from './trace.js';

/** A stream that ended on a live node reopens after this long. */
const REOPEN_DELAY_MS = 10;

export interface WatchedNode {
  readonly id: number;
  readonly name: string;
  readonly service: KvService | null;
  readonly clock: Clock | null;
}

export interface SimWatchDeps {
  scheduler: Scheduler;
  tracer: Tracer;
  log: RevisionLog;
  fail(error: Error): void;
}

export class SimWatch {
  /** The next revision to receive. */
  private cursor = 1;
  /** Counts opens; a stream, or an open still reading, of an earlier one is cut off. */
  private generation = 0;

  constructor(
    private readonly node: WatchedNode,
    private readonly deps: SimWatchDeps,
  ) {}

  /** The revision this watch has delivered everything through. */
  get deliveredThrough(): number {
    return this.cursor - 1;
  }

  /** The node's process is up (again): open a stream on its service. */
  onStarted(): void {
    void this.open(++this.generation);
  }

  /** The node's process died, and its streams with it. */
  onCrash(): void {
    this.generation += 1;
  }

  private async open(generation: number): Promise<void> {
    const service = this.node.service;
    const clock = this.node.clock;
    if (service === null || clock === null) return;
    const fromRevision = this.cursor;
    let first: Awaited<ReturnType<typeof firstWatchPage>>;
    try {
      first = await firstWatchPage(service, fromRevision, false);
    } catch (err) {
      if (generation === this.generation) this.reopenLater(generation, `open failed: ${(err as Error).message}`);
      return;
    }
    if (generation !== this.generation) return;
    if ('compactedTo' in first) {
      this.trace(() => `watch from ${fromRevision} compacted (410): resumes at ${first.compactedTo}`);
      this.cursor = first.compactedTo;
      return void this.open(generation);
    }
    new WatchStream(service, {
      target: { prefix: '' },
      format: 'ndjson',
      out: this.body(generation, fromRevision),
      first: { fromRevision, page: first.page },
      prev: false,
      every: (intervalMs, run) => clock.every(intervalMs, run),
      onEnd: (reason) => {
        if (generation === this.generation) this.reopenLater(generation, `stream ended: ${reason}`);
      },
    });
  }

  private reopenLater(generation: number, why: string): void {
    this.trace(() => `watch ${why}; reopens at ${this.cursor}`);
    this.deps.scheduler.after(REOPEN_DELAY_MS, () => {
      if (generation === this.generation) void this.open(++this.generation);
    });
  }

  /** The stream's response body: each write is one NDJSON frame. */
  private body(generation: number, fromRevision: number): Writable {
    return new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        if (generation === this.generation) {
          for (const line of chunk.toString('utf8').split('\n')) if (line !== '') this.onFrame(fromRevision, line);
        }
        done();
      },
    });
  }

  private onFrame(fromRevision: number, line: string): void {
    const frame = JSON.parse(line) as { revision: number; events: FrameEvent[] };
    const { revision, events } = frame;
    // A progress frame (no events) says the stream is complete through its revision.
    const expected = events.length === 0 ? revision >= this.cursor - 1 : revision >= this.cursor;
    if (!expected) {
      return this.deps.fail(new Error(`watch on ${this.node.name} delivered revision ${revision} after ${this.cursor - 1}`));
    }
    const conflict = events.length === 0 ? null : this.deps.log.record(this.node.id, revision, events.map(changeOf));
    if (conflict !== null) return this.deps.fail(new Error(conflict));
    this.deps.log.cover(fromRevision, revision);
    this.cursor = revision + 1;
  }

  private trace(text: () => string): void {
    this.deps.tracer.event(this.deps.scheduler.nowMs, `w${this.node.id}`, text);
  }
}

/** What the oracle compares of an event: its kind, key, value and revision. */
function changeOf(event: FrameEvent): FrameEvent {
  const { type, key, value, modRevision } = event;
  return type === 'put' ? { type, key, value: value!, modRevision } : { type, key, modRevision };
}
