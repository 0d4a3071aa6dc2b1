// A delay smoothed the way TCP smooths round-trip times (RFC 6298: srtt and rttvar, gains 1/8 and 1/4),
// for timeouts that wait for a peer that is merely slow — a busy event loop, a slow disk — instead of
// resending what it is about to answer: the sequencer's resend to a replica (its ack delay) and the
// submitter's resend of a batch (its time to apply).

const GAIN = 1 / 8;
const VARIANCE_GAIN = 1 / 4;

export interface DelayEstimate {
  smoothedMs: number;
  varianceMs: number;
}

export function sampleDelay(delay: DelayEstimate | undefined, sampleMs: number): DelayEstimate {
  if (delay === undefined) return { smoothedMs: sampleMs, varianceMs: sampleMs / 2 };
  const varianceMs = (1 - VARIANCE_GAIN) * delay.varianceMs + VARIANCE_GAIN * Math.abs(delay.smoothedMs - sampleMs);
  return { smoothedMs: (1 - GAIN) * delay.smoothedMs + GAIN * sampleMs, varianceMs };
}

/** A resend timeout: srtt + 4·rttvar, within [minMs, maxMs]; minMs before any sample. */
export function resendTimeoutMs(delay: DelayEstimate | undefined, minMs: number, maxMs: number): number {
  if (delay === undefined) return minMs;
  return Math.min(maxMs, Math.max(minMs, delay.smoothedMs + 4 * delay.varianceMs));
}
