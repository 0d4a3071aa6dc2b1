// The timers every simulated process runs, like the production runtimes: a tick on a period, and one
// flush after each burst of deliveries. A crash starts a new incarnation, and callbacks scheduled by an
// earlier one do nothing, as a dead process's timers would.
import type { Scheduler } from './scheduler.js';

export type TimerInput = { kind: 'tick'; nowMs: number } | { kind: 'flush'; nowMs: number };

export class ProcessTimers {
  incarnation = 0;
  private flushDue = false;

  constructor(
    private readonly scheduler: Scheduler,
    private readonly tickIntervalMs: number,
    private readonly step: (input: TimerInput) => void,
  ) {}

  /** The process died: forget everything it had scheduled. */
  crash(): void {
    this.incarnation += 1;
    this.flushDue = false;
  }

  /** Wraps a callback so that it does nothing if the process crashed before it is called. */
  guard<A extends unknown[]>(callback: (...args: A) => void): (...args: A) => void {
    const incarnation = this.incarnation;
    return (...args) => {
      if (incarnation === this.incarnation) callback(...args);
    };
  }

  /** Runs `callback` later only if the process has not crashed meanwhile. */
  after(delayMs: number, callback: () => void): void {
    this.scheduler.after(delayMs, this.guard(callback));
  }

  /** One flush after the burst: it runs after every event already due at this time. */
  scheduleFlush(): void {
    if (this.flushDue) return;
    this.flushDue = true;
    this.after(0, () => {
      this.flushDue = false;
      this.step({ kind: 'flush', nowMs: this.scheduler.nowMs });
    });
  }

  scheduleTick(delayMs: number): void {
    this.after(delayMs, () => {
      this.step({ kind: 'tick', nowMs: this.scheduler.nowMs });
      this.scheduleTick(this.tickIntervalMs);
    });
  }
}
