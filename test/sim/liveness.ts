// Liveness after the faults end (docs/background.md "Implications" item 12; G6): once the network is
// calm and every node is up, every client operation completes within a bound, and every replica catches
// up with everything any replica applied. Checked once, at the end of the run.
import { describeOp, type HistoryOp } from './history.js';

export interface LivenessInput {
  ops: readonly HistoryOp[];
  /** When nodes refused ops before sending them (503: no sequencer heard, shutting down). */
  refusalsMs: readonly number[];
  quietStartMs: number;
  livenessBoundMs: number;
  /** Where the run stopped. */
  endMs: number;
  /** Replicas that did not apply every slot some replica applied, described. */
  laggingReplicas: readonly string[];
}

/** The first liveness violation, described, or null. */
export function checkLiveness(input: LivenessInput): string | null {
  for (const op of input.ops) {
    const dueMs = Math.max(op.invokeMs, input.quietStartMs) + input.livenessBoundMs;
    if (dueMs > input.endMs) continue;
    // Abandoned in time is fine: the client gave up on an op invoked while faults were still on.
    const finishedMs = op.completeMs ?? op.abandonedMs ?? Number.POSITIVE_INFINITY;
    if (finishedMs <= dueMs) continue;
    const state =
      op.completeMs !== null
        ? `completed only at ${op.completeMs.toFixed(1)} ms`
        : op.abandonedMs !== null
          ? `abandoned at ${op.abandonedMs.toFixed(1)} ms`
          : 'never completed';
    return `op stuck after the faults ended at ${input.quietStartMs.toFixed(1)} ms: ${describeOp(op)} was due by ${dueMs.toFixed(1)} ms but ${state}`;
  }
  const refusedLate = input.refusalsMs.find((atMs) => atMs > input.quietStartMs + input.livenessBoundMs);
  if (refusedLate !== undefined) {
    return `a node still refused an op (503) at ${refusedLate.toFixed(1)} ms, past ${input.livenessBoundMs} ms after the faults ended at ${input.quietStartMs.toFixed(1)} ms`;
  }
  if (input.laggingReplicas.length > 0) return `replicas did not catch up by the end of the run: ${input.laggingReplicas.join('; ')}`;
  return null;
}
