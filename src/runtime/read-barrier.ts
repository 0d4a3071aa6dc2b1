// Batched read barriers for linearizable reads (docs/design.md §5): a read may be served from local state
// once this replica applied a barrier op that was ordered after the read began. Concurrent reads share
// one barrier: at most one is in flight, and reads arriving meanwhile wait for the NEXT one, because the
// one in flight may have been ordered before they began. So N concurrent reads cost at most two log
// entries, not N.

interface Waiters {
  promise: Promise<void>;
  resolve(): void;
  reject(error: unknown): void;
}

function waiters(): Waiters {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

export class ReadBarrier {
  private inFlight: Promise<void> | null = null;
  private next: Waiters | null = null;
  /** Barrier ops submitted so far; reads served divided by this is the batching factor. */
  submitted = 0;

  /** `submitBarrier` orders one barrier op and resolves once this replica applied it. */
  constructor(private readonly submitBarrier: () => Promise<unknown>) {}

  wait(): Promise<void> {
    if (this.inFlight === null) return this.start();
    this.next ??= waiters();
    return this.next.promise;
  }

  private start(): Promise<void> {
    this.submitted += 1;
    const barrier = this.submitBarrier().then(() => undefined);
    this.inFlight = barrier;
    const startNext = (): void => {
      this.inFlight = null;
      const next = this.next;
      this.next = null;
      if (next !== null) this.start().then(next.resolve, next.reject);
    };
    // The caller of start() gets `barrier` itself, failure included; this branch only moves the queue on.
    barrier.then(startNext, startNext);
    return barrier;
  }
}
