// One watch connection: sends the history from a cursor revision on, then follows new applies, one frame
// per revision that touched a watched key (so a frame is never split: resuming at the last revision + 1
// sees no gap and no duplicate). Frames are NDJSON lines or Server-Sent Events with `id: <revision>`.
import type { Writable } from 'node:stream';
import { once } from 'node:events';
import type { RevisionEvents } from '../store/state-machine.js';
import type { WatchEvent } from '../store/state-view.js';
import type { KvService } from './service.js';
import { prevJson, recordJson } from './results.js';

/** Revisions read from the history per step, so one step holds a bounded number of events in memory. */
export const WATCH_READ_REVISIONS_MAX = 64;
/** Bytes the socket may hold unsent, besides the frame just written, before the watch is cut: a consumer
 *  that slow resumes from its cursor. */
export const WATCH_BUFFERED_BYTES_MAX = 4 * 1024 * 1024;
/** A step writes frames until the socket holds this much unsent, then waits for it to drain: a step over
 *  large values (up to 64 revisions of a MiB each) must not look like a slow consumer. */
export const WATCH_STEP_BYTES_MAX = 512 * 1024;
/** An idle watch sends a progress frame (no events, the revision it is complete through) this often. */
export const WATCH_PROGRESS_INTERVAL_MS = 10_000;

export type WatchFormat = 'ndjson' | 'sse';

/** What a stream watches: one exact key, or every key under a prefix. */
export type WatchTarget = { key: string } | { prefix: string };

function matcherOf(target: WatchTarget): (key: string) => boolean {
  if ('key' in target) return (key) => key === target.key;
  return (key) => key.startsWith(target.prefix);
}

/** Why a stream ended: the client left, the server stops, the stream was cut (the client resumes), or
 *  its token was revoked. */
export type WatchEndReason = 'client_closed' | 'server_closing' | 'compacted' | 'slow_consumer' | 'read_failed' | 'token_revoked';

export type HistoryPage = Awaited<ReturnType<KvService['local']['readEvents']>>;

/** True when `fromRevision` is gone: the store is past it, but its history no longer starts there. */
function isCompacted(fromRevision: number, page: HistoryPage): boolean {
  if (fromRevision > page.revision) return false;
  const first = page.history[0];
  return first === undefined || first.revision > fromRevision;
}

/** The first page of a watch from `fromRevision`, or, when that is compacted, the oldest revision left. */
export async function firstWatchPage(
  service: KvService,
  fromRevision: number,
  prev: boolean,
): Promise<{ page: HistoryPage } | { compactedTo: number }> {
  const page = await service.local.readEvents(fromRevision, WATCH_READ_REVISIONS_MAX, { prev });
  return isCompacted(fromRevision, page) ? { compactedTo: page.history[0]?.revision ?? page.revision + 1 } : { page };
}

function eventJson(revision: number, event: WatchEvent) {
  const change =
    event.record === null
      ? { type: 'delete', key: event.key, modRevision: revision }
      : { type: 'put', key: event.key, ...recordJson(event.record) };
  return { ...change, ...prevJson(event.prev) };
}

/** Repeats `run` every `intervalMs` until cancelled: setInterval in production, simulated time in test/sim. */
export type Every = (intervalMs: number, run: () => void) => { cancel(): void };

export const intervalTimer: Every = (intervalMs, run) => {
  const timer = setInterval(run, intervalMs);
  return { cancel: () => clearInterval(timer) };
};

export interface WatchStreamOptions {
  target: WatchTarget;
  format: WatchFormat;
  /** The response body: an HTTP response in production. */
  out: Writable;
  /** The cursor to start at and the history page already read from it (not compacted). */
  first: { fromRevision: number; page: HistoryPage };
  /** Events carry the key's record before them. */
  prev: boolean;
  every: Every;
  onEnd: (reason: WatchEndReason) => void;
}

export class WatchStream {
  private cursor: number;
  /** True while a run() is sending; at most one runs at a time, or frames could be sent twice. */
  private pumping = true;
  private again = false;
  private ended = false;
  /** Aborted when the stream ends, so a wait for 'drain' on a closed socket does not hang. */
  private readonly closed = new AbortController();
  private readonly unsubscribe: () => void;
  private readonly progress: { cancel(): void };
  private readonly watches: (key: string) => boolean;
  private readonly format: WatchFormat;
  private readonly out: Writable;
  private readonly prev: boolean;
  private readonly onEnd: (reason: WatchEndReason) => void;

  constructor(
    private readonly service: KvService,
    options: WatchStreamOptions,
  ) {
    this.format = options.format;
    this.out = options.out;
    this.prev = options.prev;
    this.onEnd = options.onEnd;
    this.cursor = options.first.fromRevision;
    this.watches = matcherOf(options.target);
    this.unsubscribe = service.onApplied(() => this.pump());
    this.progress = options.every(WATCH_PROGRESS_INTERVAL_MS, () => void this.write(this.cursor - 1, []));
    this.out.on('close', () => this.end('client_closed'));
    // Started on the next microtask, so onEnd never runs before the caller holds this stream. `pumping`
    // is already true, so an apply notified before then only asks this first run to go on.
    const page = options.first.page;
    queueMicrotask(() => void this.run(page));
  }

  /** Stops the stream; the client resumes from the last revision it received + 1. */
  end(reason: WatchEndReason): void {
    if (this.ended) return;
    this.ended = true;
    this.closed.abort();
    this.unsubscribe();
    this.progress.cancel();
    this.out.end();
    this.onEnd(reason);
  }

  /** Writes one frame: whether the socket took it without buffering past its high-water mark, and its size. */
  private write(revision: number, events: readonly WatchEvent[]): { drained: boolean; bytes: number } {
    const json = JSON.stringify({ revision, events: events.map((event) => eventJson(revision, event)) });
    const frame = this.format === 'sse' ? `id: ${revision}\ndata: ${json}\n\n` : `${json}\n`;
    return { drained: this.out.write(frame), bytes: Buffer.byteLength(frame) };
  }

  private pump(): void {
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    void this.run(null);
  }

  /** Sends history from the cursor until caught up; `page` is a first page already read. */
  private async run(page: HistoryPage | null): Promise<void> {
    try {
      let next = page;
      // A first page was read before this stream subscribed to applies, and an apply in between told no
      // one: read once more after sending it, or the stream would wait for the next write to send that one.
      let readAgain = page !== null;
      do {
        this.again = false;
        next ??= await this.service.local.readEvents(this.cursor, WATCH_READ_REVISIONS_MAX, { prev: this.prev });
        if (this.ended) return;
        if (isCompacted(this.cursor, next)) {
          // Fell behind the compaction window while connected; reconnecting gets the explicit 410.
          this.end('compacted');
          return;
        }
        const { drained, complete, lastFrameBytes } = this.send(next.history);
        if (this.out.writableLength - lastFrameBytes > WATCH_BUFFERED_BYTES_MAX) {
          this.end('slow_consumer');
          return;
        }
        if (!drained) await once(this.out, 'drain', { signal: this.closed.signal });
        if (readAgain || !complete || next.history.length === WATCH_READ_REVISIONS_MAX) this.again = true;
        readAgain = false;
        next = null;
      } while (this.again && !this.ended);
    } catch (err) {
      if (this.ended) return; // The wait for 'drain' was aborted by the end itself.
      // A failed read ends this stream only; the client resumes from its cursor.
      this.out.destroy(err as Error);
      this.end('read_failed');
    } finally {
      this.pumping = false;
    }
  }

  /** Sends the page's frames, up to WATCH_STEP_BYTES_MAX buffered; `complete` false: the rest of the page
   *  waits for the next step, which reads it again from the cursor. */
  private send(history: readonly RevisionEvents[]): { drained: boolean; complete: boolean; lastFrameBytes: number } {
    let drained = true;
    let lastFrameBytes = 0;
    for (const { revision, events } of history) {
      if (lastFrameBytes > 0 && this.out.writableLength >= WATCH_STEP_BYTES_MAX) return { drained, complete: false, lastFrameBytes };
      const matching = events.filter((event) => this.watches(event.key));
      if (matching.length > 0) {
        const written = this.write(revision, matching);
        drained = written.drained && drained;
        lastFrameBytes = written.bytes;
      }
      this.cursor = revision + 1;
    }
    return { drained, complete: true, lastFrameBytes };
  }
}
