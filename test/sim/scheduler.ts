// A discrete-event scheduler over simulated time (FoundationDB-style: one thread, one clock, no real
// timers). Events run in time order; events due at the same time run in the order they were scheduled,
// so a run is a pure function of the seed. The production code the simulator runs (src/runtime, src/store)
// is asynchronous: after each event, the promise chains it started settle before the next event runs.
// They involve no real I/O or timers (the simulated disk and clock are scheduler events), so settling is
// deterministic, and simulated time stands still meanwhile.

/** Lets every microtask and promise continuation queued so far run: setImmediate comes after all of them. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export interface ScheduledEvent {
  readonly atMs: number;
  /** Scheduling order: the tie-break between events due at the same time. */
  readonly order: number;
  readonly run: () => void;
}

export class Scheduler {
  private readonly heap: ScheduledEvent[] = [];
  private ordersIssued = 0;
  private clockMs = 0;
  /** Events run so far: the simulator's measure of work, reported per seed. */
  eventsRun = 0;

  get nowMs(): number {
    return this.clockMs;
  }

  get pendingCount(): number {
    return this.heap.length;
  }

  /** Runs `run` after `delayMs` (0: after everything already due now). */
  after(delayMs: number, run: () => void): void {
    if (!(delayMs >= 0) || !Number.isFinite(delayMs)) throw new RangeError(`delay must be a finite non-negative number, got ${delayMs}`);
    this.push({ atMs: this.clockMs + delayMs, order: this.ordersIssued++, run });
  }

  /**
   * Runs events in order until none is left, the clock would pass `untilMs`, or `stop()` says so after an
   * event. Returns the number of events run by this call.
   */
  async runUntil(untilMs: number, stop: () => boolean = () => false): Promise<number> {
    const before = this.eventsRun;
    await settle();
    for (;;) {
      const next = this.heap[0];
      if (next === undefined || next.atMs > untilMs) {
        // Nothing else happens before the limit, so simulated time passes up to it.
        this.clockMs = Math.max(this.clockMs, untilMs);
        break;
      }
      this.pop();
      this.clockMs = next.atMs;
      this.eventsRun += 1;
      next.run();
      await settle();
      if (stop()) break;
    }
    return this.eventsRun - before;
  }

  private push(event: ScheduledEvent): void {
    const heap = this.heap;
    heap.push(event);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!precedes(event, heap[parent]!)) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = event;
  }

  private pop(): void {
    const heap = this.heap;
    const last = heap.pop()!;
    if (heap.length === 0) return;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && precedes(heap[right]!, heap[left]!) ? right : left;
      if (!precedes(heap[child]!, last)) break;
      heap[i] = heap[child]!;
      i = child;
    }
    heap[i] = last;
  }
}

function precedes(a: ScheduledEvent, b: ScheduledEvent): boolean {
  return a.atMs < b.atMs || (a.atMs === b.atMs && a.order < b.order);
}
