// Recovery after heal: how long until every replica serves writes again. One probe per replica writes
// its own key through that replica only, again and again, until a write is acknowledged or the bound
// passes. The probes are real writes, recorded in the history and checked like the workload's.
import { Client } from '../../src/client/index.js';
import { recordOp, type OpContext } from './operations.js';

/** One probe attempt's deadline: long enough for a view change plus the server's 5 s commit timeout. */
const PROBE_CALL_TIMEOUT_MS = 6_000;
/** Between a failed probe and the next: a replica that refuses at once is not hammered. */
const PROBE_INTERVAL_MS = 100;

export interface Recovery {
  /** Milliseconds from the heal to each replica's first acknowledged write, by URL; null: not within the bound. */
  byReplica: Map<string, number | null>;
  /** The slowest replica; null when one did not recover within the bound. */
  worstMs: number | null;
}

/** `keyPrefix`: the probes' keys, replica i writing `<keyPrefix>i` (never one of the workload's). */
export async function measureRecovery(
  context: OpContext,
  replicaUrls: readonly string[],
  keyPrefix: string,
  healedAtMs: number,
  boundMs: number,
): Promise<Recovery> {
  const byReplica = new Map<string, number | null>();
  const leftMs = () => boundMs - (context.nowMs() - healedAtMs);
  await Promise.all(
    replicaUrls.map(async (url, index) => {
      // Probe clients are numbered apart from the workload's (which count up from 1).
      const client = 1_000_000 + index;
      for (let attempt = 1; leftMs() > 0; attempt++) {
        // A client of its own per attempt: the SDK's circuit breaker would otherwise hold back the next
        // attempts for up to 5 s after a refusal, and that wait is the client's, not the replica's.
        const kv = new Client({
          endpoints: [url],
          retry: { attemptsMax: 1 },
          timeoutMs: PROBE_CALL_TIMEOUT_MS,
          attemptTimeoutMs: PROBE_CALL_TIMEOUT_MS,
        });
        const value = `p${index + 1}.${attempt}`;
        const { outcome, op } = await recordOp(
          context,
          kv,
          client,
          `${keyPrefix}${index + 1}`,
          { type: 'put', value },
          AbortSignal.timeout(Math.max(1, Math.round(leftMs()))),
        );
        await kv.close();
        if (outcome === 'ok') {
          byReplica.set(url, op.completeMs! - healedAtMs);
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, PROBE_INTERVAL_MS));
      }
      byReplica.set(url, null);
    }),
  );
  const times = [...byReplica.values()];
  return { byReplica, worstMs: times.some((t) => t === null) ? null : Math.max(...(times as number[])) };
}
