// Turns one benchmark run into the side-by-side text table: every target at every concurrency,
// with ratios against the unreplicated baseline and between mrtom-kv and etcd.
import type { LoadResult } from './load.js';

export interface TargetOutcome {
  target: string;
  status: 'ran' | 'skipped' | 'failed';
  // Why the target was skipped or failed; partial runs before a failure are kept.
  reason?: string;
  loadOrigins: number;
  runs: LoadResult[];
}

export interface BenchReport {
  startedAt: string;
  machine: { cpuCount: number; cpuModel: string; nodeVersion: string; platform: string };
  settings: { durationS: number; warmupS: number; valueBytes: number; connections: number[] };
  targets: TargetOutcome[];
}

interface Comparison {
  reference: string;
  subject: string;
}

function fixed(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : '-';
}

function ratio(numerator: number | undefined, denominator: number | undefined): string {
  if (numerator === undefined || denominator === undefined || denominator === 0) return '-';
  return `${fixed(numerator / denominator, 2)}x`;
}

function runOf(report: BenchReport, target: string, connections: number): LoadResult | undefined {
  return report.targets.find((outcome) => outcome.target === target)?.runs.find((run) => run.connections === connections);
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) => row.map((cell, column) => cell.padStart(widths[column]!)).join('  ')).join('\n');
}

export function formatReport(report: BenchReport, baseline: string, comparison: Comparison): string {
  const { machine, settings } = report;
  const lines = [
    `machine: ${machine.cpuCount} CPUs (${machine.cpuModel}), node ${machine.nodeVersion}, ${machine.platform}; ` +
      'load generator and every server share these CPUs',
    `workload: PUT of ${settings.valueBytes}-byte values, a new key per request, ${settings.warmupS} s warm-up + ` +
      `${settings.durationS} s measured per concurrency`,
    '',
  ];
  for (const outcome of report.targets) {
    if (outcome.status !== 'ran') lines.push(`${outcome.target}: ${outcome.status.toUpperCase()} — ${outcome.reason ?? ''}`);
    else if (outcome.loadOrigins > 1) lines.push(`${outcome.target}: load spread round-robin over ${outcome.loadOrigins} members' URLs`);
  }
  const rows = [
    [
      'target',
      'conns',
      'URLs',
      'req/s (median)',
      'p50 ms',
      'p99 ms',
      'errors',
      'loadgen CPU % core',
      'machine CPU %',
      `req/s vs ${baseline}`,
      `p99 vs ${baseline}`,
    ],
  ];
  for (const outcome of report.targets) {
    for (const run of outcome.runs) {
      const reference = runOf(report, baseline, run.connections);
      rows.push([
        outcome.target,
        String(run.connections),
        String(run.originsUsed),
        fixed(run.reqPerSecMedian, 0),
        fixed(run.latencyMsP50, 2),
        fixed(run.latencyMsP99, 2),
        String(run.non2xx + run.errors),
        fixed(run.loadgenCpuPctOfCore, 0),
        fixed(run.machineCpuBusyPct, 0),
        ratio(run.reqPerSecMedian, reference?.reqPerSecMedian),
        ratio(run.latencyMsP99, reference?.latencyMsP99),
      ]);
    }
  }
  lines.push('', table(rows));

  const comparisonRows = [['conns', `req/s ${comparison.subject} / ${comparison.reference}`, 'p50 ratio', 'p99 ratio']];
  for (const connections of settings.connections) {
    const subject = runOf(report, comparison.subject, connections);
    const reference = runOf(report, comparison.reference, connections);
    if (subject === undefined || reference === undefined) continue;
    comparisonRows.push([
      String(connections),
      ratio(subject.reqPerSecMedian, reference.reqPerSecMedian),
      ratio(subject.latencyMsP50, reference.latencyMsP50),
      ratio(subject.latencyMsP99, reference.latencyMsP99),
    ]);
  }
  if (comparisonRows.length > 1) lines.push('', `${comparison.subject} vs ${comparison.reference}:`, table(comparisonRows));
  else lines.push('', `${comparison.subject} vs ${comparison.reference}: not compared, one of them did not run`);

  lines.push(
    '',
    'errors = non-2xx responses + socket errors/timeouts. loadgen CPU = this runner process (autocannon) during the',
    'measured run, as % of one core; near 100 means the load generator, not the server, may be the limit.',
    'machine CPU = busy time of all cores: target, load generator and any other process running meanwhile.',
  );
  return lines.join('\n');
}
