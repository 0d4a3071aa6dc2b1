// What a run prints and keeps: one result line per round, the end-of-run table (scenario, ops ok /
// failed / indeterminate, recovery after heal, verdict), the throughput table, and for a failing round
// a folder with its history, schedule, problems, the cluster's logs and data, and the replay command.
import { cp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describeOp } from '../sim/history.js';
import type { ScenarioResult } from './run-scenario.js';
import type { LevelResult } from './throughput.js';

const FAILURES_DIR = join(tmpdir(), 'mrtom-netns-failures');

function recovery(ms: number | null): string {
  return ms === null ? 'none' : `${(ms / 1000).toFixed(2)} s`;
}

export function resultLine(result: ScenarioResult): string {
  const { ok, failed, indeterminate } = result.ops;
  const verdict = result.ok ? 'ok' : `FAIL (${result.problems.length} problems)`;
  const codes = Object.entries(result.codes)
    .map(([code, n]) => `${code} ${n}`)
    .join(', ');
  const why = codes === '' ? '' : ` (${codes})`;
  return `${result.scenario} seed ${result.seed}: ops ${ok} ok / ${failed} failed / ${indeterminate} indeterminate${why}, recovery ${recovery(result.recoveryMs)}, ${verdict}`;
}

/** What the faults did, in one line. */
export function effectsLine(result: ScenarioResult): string {
  const e = result.effects;
  if (e === null) return 'effects: unknown (the run broke off)';
  const roles = (r: typeof e.before) => (r === null ? '?' : `view ${r.view} session ${r.session} (${r.leader}, ${r.servingSequencer})`);
  return `effects: ORDERED lost ${e.orderedLost}, frames blocked ${e.framesBlocked}, delayed ${e.framesDelayed}, duplicates seen ${e.duplicatesReceived}; ${roles(e.before)} → ${roles(e.after)}`;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((row) => row[col]!.length)));
  const line = (row: string[]) => `| ${row.map((cell, col) => cell.padEnd(widths[col]!)).join(' | ')} |`;
  return [line(rows[0]!), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.slice(1).map(line)].join('\n');
}

/** Rounds of the same scenario in one row: ops summed, the slowest recovery, failed rounds counted. */
export function resultTable(results: readonly ScenarioResult[]): string {
  const rows = [['scenario', 'rounds', 'ops ok', 'failed', 'indeterminate', 'recovery after heal (max)', 'verdict']];
  for (const name of [...new Set(results.map((r) => r.scenario))]) {
    const mine = results.filter((r) => r.scenario === name);
    const failing = mine.filter((r) => !r.ok).length;
    const recoveries = mine.map((r) => r.recoveryMs);
    const sum = (field: keyof ScenarioResult['ops']) => String(mine.reduce((n, r) => n + r.ops[field], 0));
    rows.push([
      name,
      String(mine.length),
      sum('ok'),
      sum('failed'),
      sum('indeterminate'),
      recoveries.includes(null) ? 'none within the bound' : recovery(Math.max(...(recoveries as number[]))),
      failing === 0 ? 'ok' : `FAIL ${failing}/${mine.length}`,
    ]);
  }
  return table(rows);
}

/** Throughput under loss as a share of the loss-free level, and how the lost ORDERED were repaired. */
export function throughputTable(levels: readonly LevelResult[]): string {
  const base = levels.find((l) => l.lossPercent === 0)?.writesPerSecond ?? 0;
  const rows = [
    ['loss', 'writes/s', 'of loss-free', 'ORDERED lost', 'sequencer resends', 'RETRANSMIT sent', 'LOG_REQUEST sent', 'NO-OPs decided'],
  ];
  for (const level of levels) {
    const { sequencerRetransmits, retransmitRequests, logRequests, noopsDecided } = level.repairs;
    rows.push([
      `${level.lossPercent}%`,
      level.writesPerSecond.toFixed(1),
      base > 0 ? `${((level.writesPerSecond / base) * 100).toFixed(1)}%` : '-',
      String(level.orderedLost),
      String(sequencerRetransmits),
      String(retransmitRequests),
      String(logRequests),
      String(noopsDecided),
    ]);
  }
  return table(rows);
}

/**
 * Keeps a failing round's evidence in a folder of its own; returns the folder. The replicas' data
 * folders are copied only from a stopped cluster (`includeData`): LevelDB rewrites its files while it runs.
 */
export async function keepEvidence(result: ScenarioResult, runDir: string, replay: string, includeData: boolean): Promise<string> {
  const dir = join(FAILURES_DIR, `${result.scenario}-seed${result.seed}-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  await mkdir(dir, { recursive: true });
  await cp(runDir, join(dir, 'cluster'), { recursive: true, filter: (path) => includeData || !basename(path).startsWith('replica-') });
  const { history, ...rest } = result;
  await writeFile(join(dir, 'result.json'), JSON.stringify({ ...rest, replay }, null, 2));
  await writeFile(join(dir, 'history.json'), JSON.stringify(history.ops, null, 1));
  await writeFile(join(dir, 'history.txt'), `${history.ops.map(describeOp).join('\n')}\n`);
  await writeFile(join(dir, 'replay.txt'), `${replay}\n`);
  return dir;
}
