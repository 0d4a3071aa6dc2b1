// The checks once every fault has healed and the workload has stopped: the replicas converge to one
// digest; every acknowledged write is in the replicated history and no refused one is; the history is
// linearizable (the simulator's WGL checker and key model, shared); no answer was one a correct cluster
// never gives. Each problem is one readable line (a violation lists where the linearization got stuck).
import { describeOp, type HistoryOp } from '../sim/history.js';
import { checkLinearizable } from '../sim/linearizability.js';
import { checkWrites, readChangeLog } from './change-log.js';
import { awaitConvergence } from './convergence.js';
import type { OpTally } from './operations.js';

const CONVERGENCE_DEADLINE_MS = 30_000;
const CHANGE_LOG_DEADLINE_MS = 30_000;
/** Ops shown around a linearizability violation. */
const VIOLATION_OPS_SHOWN = 6;

/** `fromRevision`: the first revision the run can have written (earlier ones belong to earlier runs on the cluster). */
export async function judge(
  urls: readonly string[],
  fromRevision: number,
  ops: readonly HistoryOp[],
  tally: OpTally,
  log: (line: string) => void,
): Promise<string[]> {
  const problems: string[] = [];
  const convergence = await awaitConvergence(urls, CONVERGENCE_DEADLINE_MS);
  log(`convergence: ${convergence.detail}`);
  if (!convergence.converged) problems.push(`no convergence: ${convergence.detail}`);
  else {
    const events = await readChangeLog(urls[0]!, fromRevision, convergence.revision, CHANGE_LOG_DEADLINE_MS);
    problems.push(...checkWrites(ops, tally.withdrawnWrites, events));
  }
  problems.push(...tally.anomalies.map((a) => `unexpected answer: ${a}`));
  const linearizable = checkLinearizable(ops);
  if (!linearizable.ok && linearizable.kind === 'inconclusive') {
    problems.push(`linearizability check inconclusive on key ${linearizable.key} after ${linearizable.steps} steps`);
  } else if (!linearizable.ok) {
    const tail = linearizable.longestPrefix.slice(-VIOLATION_OPS_SHOWN).map(describeOp).join('\n    ');
    const unplaced = linearizable.unplaced.slice(0, VIOLATION_OPS_SHOWN).map(describeOp).join('\n    ');
    problems.push(
      `not linearizable on key ${linearizable.key}; the longest linearization ends\n    ${tail}\n  and cannot place\n    ${unplaced}`,
    );
  }
  return problems;
}
