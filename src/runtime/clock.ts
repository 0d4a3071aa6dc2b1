// The clock of a runtime process: the one seam through which hosts, submitters and their timers see time,
// so production runs them on the real clock and the simulator (test/sim) on simulated time. Nothing in
// src/runtime that the simulator runs reads performance.now() or sets a timer except through a Clock.

export interface Timer {
  cancel(): void;
}

export interface Clock {
  /** Monotonic milliseconds, for every timer and delay. */
  nowMs(): number;
  /** Milliseconds since the epoch by this machine's clock: only for times that travel to other machines
   *  (an Idempotency-Key's submission time, src/store/idempotency.ts). It may jump; nothing times by it. */
  wallMs(): number;
  /** Runs `run` once everything already due now has run — after the current burst of datagrams. */
  defer(run: () => void): void;
  /** Runs `run` every `intervalMs` until cancelled. */
  every(intervalMs: number, run: () => void): Timer;
}

export const realClock: Clock = {
  nowMs: () => performance.now(),
  wallMs: () => Date.now(),
  // setImmediate runs after the event loop has drained the socket's pending reads.
  defer: (run) => void setImmediate(run),
  every(intervalMs, run) {
    const timer = setInterval(run, intervalMs);
    return { cancel: () => clearInterval(timer) };
  },
};
