// The part of autocannon's programmatic API the runner uses; autocannon ships no types and
// @types/autocannon would be a dependency for a dozen lines.
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events';

  interface RequestData {
    method?: string;
    path?: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
  }

  interface Request extends RequestData {
    // Called before every request on a connection; returning a new object builds that request.
    setupRequest?: (request: RequestData) => RequestData;
  }

  interface Options {
    // Several URLs: connections are assigned to them round-robin.
    url: string | string[];
    connections?: number;
    duration?: number;
    // Seconds before a request counts as a timeout (an error).
    timeout?: number;
    requests?: Request[];
  }

  interface Result {
    errors: number;
    timeouts: number;
    non2xx: number;
    resets: number;
    statusCodeStats: Record<string, { count: number }>;
  }

  interface Instance extends EventEmitter, PromiseLike<Result> {
    on(event: 'response', listener: (client: unknown, statusCode: number, resBytes: number, responseTimeMs: number) => void): this;
  }

  function autocannon(options: Options): Instance;
  export default autocannon;
}
