// The clock of one simulated process incarnation (src/runtime/clock.ts over simulated time): deferred work
// runs after everything already due now, intervals start at a seeded phase, and nothing it scheduled
// runs once the process has died — as a dead process's timers would not.
import type { Clock, Timer } from '../../src/runtime/clock.js';
import type { Prng } from './prng.js';
import type { Scheduler } from './scheduler.js';

/** Where simulated wall clocks start: a fixed date, so a seed replays the same times. */
const WALL_CLOCK_START_MS = Date.UTC(2026, 0, 1);
/** Wall clocks of simulated machines disagree by up to this much, as NTP-kept clocks may. */
export const WALL_CLOCK_SKEW_MS_MAX = 2_000;

export class ProcessClock implements Clock {
  private alive = true;

  /** `wallSkewMs`: how far this machine's wall clock is off, within ±WALL_CLOCK_SKEW_MS_MAX. */
  constructor(
    private readonly scheduler: Scheduler,
    private readonly prng: Prng,
    private readonly wallSkewMs = 0,
  ) {}

  nowMs(): number {
    return this.scheduler.nowMs;
  }

  wallMs(): number {
    return Math.round(WALL_CLOCK_START_MS + this.wallSkewMs + this.scheduler.nowMs);
  }

  defer(run: () => void): void {
    this.scheduler.after(0, this.guard(run));
  }

  every(intervalMs: number, run: () => void): Timer {
    let cancelled = false;
    const tick = (): void => {
      if (!this.alive || cancelled) return;
      run();
      this.scheduler.after(intervalMs, tick);
    };
    this.scheduler.after(this.prng.between(0, intervalMs), tick);
    return { cancel: () => (cancelled = true) };
  }

  /** Runs `run` after `delayMs` unless the process died first. */
  after(delayMs: number, run: () => void): void {
    this.scheduler.after(delayMs, this.guard(run));
  }

  /** Wraps a callback so that it does nothing once the process has died. */
  guard<A extends unknown[]>(callback: (...args: A) => void): (...args: A) => void {
    return (...args) => {
      if (this.alive) callback(...args);
    };
  }

  get isAlive(): boolean {
    return this.alive;
  }

  /** The process died. */
  stop(): void {
    this.alive = false;
  }
}
