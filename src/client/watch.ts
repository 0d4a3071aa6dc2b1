// A watch as an async iterator of frames (one per revision that changed a key under the prefix). It
// keeps a cursor — the next revision to deliver — and when a stream ends or breaks (the replica died,
// stopped, or cut a slow consumer) it reconnects, through failover, from that cursor. The history is
// replicated, so every replica sends the same frames: resuming at the cursor skips and repeats nothing
// (docs/api.md, watch). A start older than the history window is a CompactedError.
import { KeyValue, type WireItem } from './key-value.js';
import { UnavailableError } from './errors.js';
import { lines as ndjsonLines } from './ndjson.js';
import { withQuery } from './paths.js';
import type { Transport } from './transport.js';

export type WatchEvent = { type: 'put'; key: string; kv: KeyValue } | { type: 'delete'; key: string; modRevision: number };

export interface WatchFrame {
  revision: number;
  events: WatchEvent[];
}

export interface WatchOptions {
  /** Keys starting with this; absent or empty: every key. */
  prefix?: string;
  /** First revision to deliver; default: the revision after the store's current one (read linearizably). */
  fromRevision?: number;
  signal?: AbortSignal;
}

type WireWatchEvent = ({ type: 'put' } & WireItem) | { type: 'delete'; key: string; modRevision: number };

interface WireFrame {
  revision: number;
  events: WireWatchEvent[];
}

/** An idle stream gets a progress frame every 10 s; this long without a byte means the connection is dead. */
const STREAM_IDLE_MS_MAX = 25_000;
/** Streams in a row that end before delivering anything; past this the watch gives up. */
const RECONNECTS_WITHOUT_PROGRESS_MAX = 10;

function decodeEvent(event: WireWatchEvent): WatchEvent {
  if (event.type === 'delete') return { type: 'delete', key: event.key, modRevision: event.modRevision };
  return { type: 'put', key: event.key, kv: KeyValue.fromWire(event) };
}

export class Watch implements AsyncIterable<WatchFrame> {
  private nextRevision: number | undefined;
  private connectedTo: string | undefined;
  private streams = 0;
  private readonly stopper = new AbortController();
  private readonly signal: AbortSignal;
  private iterator: AsyncGenerator<WatchFrame> | undefined;

  constructor(
    private readonly transport: Transport,
    private readonly options: WatchOptions,
    clientSignal: AbortSignal,
  ) {
    this.nextRevision = options.fromRevision;
    const signals = [this.stopper.signal, clientSignal];
    if (options.signal !== undefined) signals.push(options.signal);
    this.signal = AbortSignal.any(signals);
  }

  /** The next revision this watch delivers (undefined until it has started). */
  get cursor(): number | undefined {
    return this.nextRevision;
  }

  /** The endpoint the current stream comes from. */
  get endpoint(): string | undefined {
    return this.connectedTo;
  }

  /** Streams opened so far: 1 plus the reconnects. */
  get streamCount(): number {
    return this.streams;
  }

  /** Ends the watch; a pending next() resolves as done. */
  close(): void {
    this.stopper.abort();
  }

  [Symbol.asyncIterator](): AsyncGenerator<WatchFrame> {
    this.iterator ??= this.frames();
    return this.iterator;
  }

  private async *frames(): AsyncGenerator<WatchFrame> {
    const prefix = this.options.prefix ?? '';
    this.nextRevision ??= await this.startRevision(prefix);
    let fruitless = 0;
    let lastBreak: unknown;
    while (!this.signal.aborted) {
      const from = this.nextRevision;
      let stream;
      try {
        stream = await this.transport.open(
          {
            method: 'GET',
            path: withQuery('/v1/watch', { prefix, fromRevision: from }),
            headers: { accept: 'application/x-ndjson' },
            repeatable: 'read',
            signal: this.signal,
          },
          STREAM_IDLE_MS_MAX,
        );
      } catch (err) {
        if (this.signal.aborted) return;
        throw err;
      }
      this.connectedTo = stream.endpoint;
      this.streams += 1;
      let lines = 0;
      try {
        for await (const line of ndjsonLines(stream.body)) {
          lines += 1;
          if (line === '') continue;
          const frame = JSON.parse(line) as WireFrame;
          // A progress frame (no events) says the stream is complete through its revision.
          if (frame.revision < this.nextRevision) continue;
          this.nextRevision = frame.revision + 1;
          if (frame.events.length > 0) yield { revision: frame.revision, events: frame.events.map(decodeEvent) };
        }
      } catch (err) {
        // The stream broke (reset connection, idle timeout, a line cut short): resume from the cursor.
        // A close() also lands here; the loop condition ends the watch then.
        lastBreak = err;
      } finally {
        // Iterating the body to its end or breaking out of it has destroyed it already; a throw has not.
        stream.body.destroy();
      }
      // Any line, progress frames included, shows the stream was alive.
      fruitless = lines > 0 ? 0 : fruitless + 1;
      if (fruitless > RECONNECTS_WITHOUT_PROGRESS_MAX) {
        throw new UnavailableError(`${fruitless} watch streams in a row ended before sending anything`, {
          code: 'unavailable',
          endpoint: stream.endpoint,
          cause: lastBreak,
        });
      }
    }
  }

  /** "From now on": after every revision committed before the watch started (a linearizable read). */
  private async startRevision(prefix: string): Promise<number> {
    const response = await this.transport.send({
      method: 'GET',
      path: withQuery('/v1/kv', { prefix, limit: 1, keysOnly: true }),
      repeatable: 'read',
      signal: this.signal,
    });
    return (JSON.parse(response.body.toString('utf8')) as { revision: number }).revision + 1;
  }
}
