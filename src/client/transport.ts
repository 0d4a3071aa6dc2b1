// Sends one logical request with failover and retries: each attempt goes to a healthy endpoint
// (endpoints.ts); a transient failure is retried with backoff (cockatiel) until `attemptsMax` or the
// call's deadline. An attempt whose outcome is unknown (the connection dropped mid-request, a timeout, a
// 504) is retried only when repeating the request is safe: a read, a conditional write (its precondition
// fails rather than applying twice) or a write under an Idempotency-Key (the server answers a repeat
// with the original result). Otherwise the caller gets the error with `mayHaveHappened` set.
import type { Readable } from 'node:stream';
import { ExponentialBackoff, TaskCancelledError, handleWhen, retry, type RetryPolicy } from 'cockatiel';
import type { Dispatcher } from 'undici';
import { Endpoints, type Endpoint } from './endpoints.js';
import { AttemptFailed, errorOf, failureFromResponse, failureFromTransport, type Failure } from './failure.js';
import { TimeoutError } from './errors.js';
import type { ResolvedOptions } from './options.js';

/** How a request may be repeated after an attempt whose outcome is unknown. */
export type Repeatable = 'read' | 'conditional' | 'keyed' | 'no';

export interface HttpRequest {
  method: Dispatcher.HttpMethod;
  /** Path and query, e.g. /v1/kv/a%2Fb?consistency=stale. */
  path: string;
  headers?: Record<string, string>;
  body?: Uint8Array | string;
  repeatable: Repeatable;
  signal?: AbortSignal;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  endpoint: string;
}

export interface HttpStream {
  headers: Record<string, string | string[] | undefined>;
  body: Readable;
  endpoint: string;
}

/** Failures the retry policy repeats: transient ones that are safe to repeat (see failed() below). */
const isRepeatable = handleWhen((err) => err instanceof AttemptFailed && err.repeat);

export class Transport {
  readonly endpoints: Endpoints;
  private readonly retry: RetryPolicy;

  constructor(private readonly options: ResolvedOptions) {
    this.endpoints = new Endpoints(options.endpoints, options);
    this.retry = retry(isRepeatable, {
      maxAttempts: options.retry.attemptsMax - 1,
      backoff: new ExponentialBackoff({ initialDelay: options.retry.backoffMsMin, maxDelay: options.retry.backoffMsMax }),
    });
  }

  /** A request whose whole answer is read; resolves on 200, rejects with a typed error otherwise. */
  async send(request: HttpRequest): Promise<HttpResponse> {
    return this.execute(request, this.options.attemptTimeoutMs, async (endpoint, res) => ({
      status: res.statusCode,
      headers: res.headers,
      body: Buffer.from(await res.body.arrayBuffer()),
      endpoint: endpoint.url,
    }));
  }

  /**
   * A request whose 200 body is a never-ending stream (a watch). The body times out after
   * `idleMsMax` without a byte; `signal` ends it.
   */
  async open(request: HttpRequest, idleMsMax: number): Promise<HttpStream> {
    return this.execute(request, idleMsMax, async (endpoint, res) => ({ headers: res.headers, body: res.body, endpoint: endpoint.url }));
  }

  close(): Promise<void> {
    return this.endpoints.close();
  }

  private async execute<T>(
    request: HttpRequest,
    bodyTimeoutMs: number,
    onOk: (endpoint: Endpoint, res: Dispatcher.ResponseData) => Promise<T>,
  ): Promise<T> {
    // The deadline covers the attempts, not a stream's body after them: its timer stops when this returns.
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), this.options.timeoutMs);
    const signal = request.signal === undefined ? deadline.signal : AbortSignal.any([request.signal, deadline.signal]);
    const call: CallState = { mayHaveHappened: false };
    const attempt = async (endpoint: Endpoint): Promise<T> => {
      let res: Dispatcher.ResponseData;
      try {
        res = await endpoint.pool.request({
          method: request.method,
          path: request.path,
          headers: { ...request.headers, ...this.options.headers },
          body: request.body ?? null,
          signal,
          headersTimeout: this.options.attemptTimeoutMs,
          bodyTimeout: bodyTimeoutMs,
        });
      } catch (err) {
        // Cut off by the deadline or the caller while in flight: a write may have reached the server.
        if (signal.aborted) {
          call.mayHaveHappened ||= request.repeatable !== 'read';
          throw err;
        }
        throw failed(failureFromTransport(err, endpoint.url), request, call);
      }
      let body: Buffer | undefined;
      try {
        if (res.statusCode === 200) return await onOk(endpoint, res);
        body = Buffer.from(await res.body.arrayBuffer());
      } catch (err) {
        // The answer was cut off while its body was read: as unknown as a request cut off.
        if (signal.aborted) throw err;
        throw failed(failureFromTransport(err, endpoint.url), request, call);
      }
      throw failed(failureFromResponse(res.statusCode, res.headers, body, endpoint.url), request, call);
    };
    try {
      return await this.retry.execute(async () => {
        const result = await this.endpoints.run(attempt);
        if (result !== null) return result;
        throw new AttemptFailed(
          {
            code: 'unavailable',
            message: `every endpoint is marked down (${this.options.endpoints.join(', ')})${call.last ? `; last: ${call.last.message}` : ''}`,
            endpoint: this.endpoints.current,
            outcome: 'not_applied',
            endpointFault: false,
            transient: true,
          },
          true,
        );
      }, signal);
    } catch (err) {
      if (request.signal?.aborted) throw request.signal.reason;
      if (deadline.signal.aborted || err instanceof TaskCancelledError) {
        throw new TimeoutError(`no answer within ${this.options.timeoutMs} ms${call.last ? `; last failure: ${call.last.message}` : ''}`, {
          code: 'timeout',
          mayHaveHappened: call.mayHaveHappened,
          ...(call.last ? { endpoint: call.last.endpoint } : {}),
        });
      }
      if (err instanceof AttemptFailed) throw errorOf(err.failure, call.mayHaveHappened);
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }
}

/** What one call learned over its attempts. */
interface CallState {
  /** Some attempt of this write ended without a definite answer. */
  mayHaveHappened: boolean;
  last?: Failure;
}

/** Turns a failure into what the retry policy sees: repeated only when transient and safe to repeat. */
function failed(failure: Failure, request: HttpRequest, call: CallState): AttemptFailed {
  const unknown = failure.outcome === 'unknown' && request.repeatable !== 'read';
  call.mayHaveHappened ||= unknown;
  call.last = failure;
  const repeatSafe = !unknown || request.repeatable !== 'no';
  return new AttemptFailed(failure, failure.transient && repeatSafe);
}
