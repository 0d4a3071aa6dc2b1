// One client operation through the SDK, recorded in the shared history (test/sim/history.ts) with what
// its answer proves: an output when it completed (a 412 is an answer too), an unknown outcome when the
// SDK says the write may have happened (a timeout, a 504, a dropped connection), withdrawn when it
// certainly never took effect (refused before it was sent). Every write is sent without an
// Idempotency-Key: the server does not implement it yet (docs/client.md), and a retried unconditional
// write could apply twice; the clients use one attempt per call anyway (workload.ts).
import { Client, MrtomError, PreconditionFailedError, InvalidRequestError, ServerError, op } from '../../src/client/index.js';
import type { History, HistoryOp, KvInput, KvOutput } from '../sim/history.js';

export type Outcome = 'ok' | 'failed' | 'indeterminate';

export interface OpTally {
  ok: number;
  failed: number;
  indeterminate: number;
  /** `key=value` of writes that certainly never happened: none may ever show up in the store. */
  withdrawnWrites: Set<string>;
  /** Why operations failed or ended unknown: error code → count (connection_failed, unavailable, commit_timeout, ...). */
  codes: Map<string, number>;
  /** Answers no correct cluster gives (a 500, a 400 to a well-formed request): each fails the run. */
  anomalies: string[];
}

export function emptyTally(): OpTally {
  return { ok: 0, failed: 0, indeterminate: 0, withdrawnWrites: new Set(), codes: new Map(), anomalies: [] };
}

export interface OpContext {
  history: History;
  tally: OpTally;
  nowMs: () => number;
  /** The replica id and process incarnation behind an endpoint URL, for the history. */
  nodeOf: (url: string) => { node: number; incarnation: number };
}

/** Runs one op through `kv` and records it; returns what its answer proved. */
export async function recordOp(
  context: OpContext,
  kv: Client,
  client: number,
  key: string,
  input: KvInput,
  signal: AbortSignal,
): Promise<{ outcome: Outcome; op: HistoryOp }> {
  const { history, tally, nowMs } = context;
  const { node, incarnation } = context.nodeOf(kv.endpoint);
  const entry = history.invoke({ client, node, incarnation, key, input, invokeMs: nowMs() });
  try {
    history.complete(entry, nowMs(), await perform(kv, key, input, signal));
    tally.ok += 1;
    return { outcome: 'ok', op: entry };
  } catch (err) {
    const known = err instanceof MrtomError;
    if (!known && !signal.aborted) throw err; // A bug of the harness or the SDK, not an answer of the cluster.
    const code = known ? err.code : 'cut_off';
    tally.codes.set(code, (tally.codes.get(code) ?? 0) + 1);
    const anomaly = known && (err instanceof ServerError || err instanceof InvalidRequestError);
    if (anomaly)
      tally.anomalies.push(`#${entry.id} ${input.type}(${key}) through ${err.endpoint}: ${err.status} ${err.code}: ${err.message}`);
    // Reads change nothing, so a read without an answer is only indeterminate or failed for the tally.
    const mayHaveHappened = anomaly || !known || (input.type === 'get' ? err.code === 'timeout' : err.mayHaveHappened);
    if (mayHaveHappened) {
      history.abandon(entry, nowMs());
      tally.indeterminate += 1;
      return { outcome: 'indeterminate', op: entry };
    }
    history.withdraw(entry);
    if ('value' in input) tally.withdrawnWrites.add(`${key}=${input.value}`);
    tally.failed += 1;
    return { outcome: 'failed', op: entry };
  }
}

async function perform(kv: Client, key: string, input: KvInput, signal: AbortSignal): Promise<KvOutput> {
  switch (input.type) {
    case 'put': {
      const require =
        input.require === undefined ? {} : 'absent' in input.require ? { ifAbsent: true } : { ifRevision: input.require.modRevision };
      try {
        const { revision } = await kv.put(key, input.value, { ...require, idempotencyKey: false, signal });
        return { type: 'put', modRevision: revision };
      } catch (err) {
        if (err instanceof PreconditionFailedError && !err.mayHaveHappened)
          return { type: 'precondition_failed', modRevision: err.modRevision };
        throw err;
      }
    }
    case 'get': {
      const found = await kv.get(key, { signal });
      return { type: 'get', value: found === undefined ? null : found.text(), modRevision: found === undefined ? null : found.modRevision };
    }
    case 'delete': {
      const { revision, deleted } = await kv.delete(key, { idempotencyKey: false, signal });
      return { type: 'delete', deleted: deleted ? 1 : 0, revision };
    }
    case 'txn': {
      const txn = kv.txn();
      if (input.ifValue === null) txn.compare(key, 'exists', '==', false);
      else txn.compare(key, 'value', '==', input.ifValue);
      const request = txn.success(op.put(key, input.value)).failure(op.get(key)).toJSON();
      const result = await kv.commitTxn(request, { idempotencyKey: false, signal });
      const [first] = result.results;
      if (result.succeeded && first !== undefined && 'put' in first)
        return { type: 'txn', succeeded: true, modRevision: first.put.modRevision };
      if (!result.succeeded && first !== undefined && 'get' in first) {
        const item = first.get.item;
        return {
          type: 'txn',
          succeeded: false,
          value: item === null ? null : item.text(),
          modRevision: item === null ? null : item.modRevision,
        };
      }
      throw new ServerError(`txn answered ${JSON.stringify(result)}`, { code: 'unexpected_txn_result', endpoint: kv.endpoint });
    }
    case 'revoke':
      throw new Error("revokes are the cluster's, not a client's");
  }
}
