// The report people read, on stdout and in report.md: the goals, then per workload and
// value size a table of every target at every connection count and the ratios between them.
import type { BenchReport } from './bench-report.js';
import { describeCheck } from './loadgen-check.js';
import { count, fixed, markdownTable, ms, range, times } from './markdown.js';
import { isSamePoint, pointKey, type Point } from './plan.js';
import { baselineName, etcdName, mrtomKvName } from './targets/registry.js';
import { spreadOf } from './stats.js';
import { ratioOf, type PointSummary, type RatioMetric, type RoleSummary } from './summary.js';
import { workloads } from './workloads.js';

// Counters whose any change during a measured run is worth a line under the table.
const anomalyCounters = ['viewChanges', 'retransmitRequests', 'sequencerRetransmits', 'datagramsDropped'];

function roleLabel(role: string): string {
  return role
    .replace(/^sequencer /, 'seq')
    .replace(/^replica /, 'r')
    .replace(/^member /, '')
    .replace(/^dev supervisor$/, 'sup');
}

function roleCell(roles: readonly RoleSummary[], runs: number): string {
  const describe = (role: RoleSummary): string => {
    const leader = role.leaderRuns === 0 ? '' : role.leaderRuns === runs ? ' L' : ` L${role.leaderRuns}/${runs}`;
    return `${roleLabel(role.role)} ${fixed(role.usPerOp.median, 0)}${leader}`;
  };
  const servers = roles.filter((role) => role.isServer).map(describe);
  const helpers = roles.filter((role) => !role.isServer).map(describe);
  return servers.join(' · ') + (helpers.length > 0 ? ` (+${helpers.join(', ')})` : '');
}

function groupsOf(plan: readonly Point[]): Point[] {
  const groups: Point[] = [];
  for (const point of plan) {
    if (!groups.some((group) => group.workload === point.workload && group.valueBytes === point.valueBytes)) groups.push(point);
  }
  return groups;
}

function summaryAt(report: BenchReport, target: string, point: Point): PointSummary | undefined {
  return report.summaries.find((summary) => summary.target === target && isSamePoint(summary.point, point));
}

function ratioCell(report: BenchReport, point: Point, reference: string, metric: RatioMetric): string {
  const subject = summaryAt(report, mrtomKvName, point);
  const other = summaryAt(report, reference, point);
  if (subject === undefined || other === undefined) return '-';
  const ratio = ratioOf(subject, other, metric, report.runs);
  return `${times(ratio.ofMedians)} (${range(ratio.perRoundMin, ratio.perRoundMax, (value) => value.toFixed(2))})`;
}

function workloadSection(report: BenchReport, group: Point): string[] {
  const points = report.settings.plan.filter((point) => point.workload === group.workload && point.valueBytes === group.valueBytes);
  const rows: string[][] = [];
  const notes: string[] = [];
  for (const point of points) {
    for (const summary of report.summaries.filter((candidate) => isSamePoint(candidate.point, point))) {
      rows.push([
        String(point.connections),
        summary.target,
        count(summary.reqPerSec.median),
        range(summary.reqPerSec.min, summary.reqPerSec.max, count),
        ms(summary.latencyMsP50.median),
        ms(summary.latencyMsP99.median),
        `${fixed(summary.serverUsPerOp.median, 0)} (${range(summary.serverUsPerOp.min, summary.serverUsPerOp.max, (value) => fixed(value, 0))})`,
        roleCell(summary.roles, summary.runs),
        fixed(summary.countersPerOp['logEntries']?.median ?? Number.NaN, 3),
        fixed(summary.loadgenCpuPctOfCoreMax.median, 0),
        fixed(summary.otherCpuPctOfMachine.median, 0),
        String(summary.failures),
      ]);
      for (const note of summary.notes) notes.push(`${summary.target} at ${point.connections}: ${note}`);
      for (const name of anomalyCounters) {
        const total = summary.counterTotals[name];
        if (total !== undefined && total !== 0)
          notes.push(`${summary.target} at ${point.connections}: ${name} ${fixed(total, 0)} over ${summary.runs} runs`);
      }
    }
  }
  const header = [
    'conns',
    'target',
    'req/s',
    'req/s min–max',
    'p50 ms',
    'p99 ms',
    'CPU µs/op (min–max)',
    'CPU µs/op per role',
    'log entries/op',
    'loadgen % core',
    'other CPU %',
    'errors',
  ];
  const ratioRows = points.map((point) => [
    String(point.connections),
    ratioCell(report, point, etcdName, 'reqPerSec'),
    ratioCell(report, point, etcdName, 'latencyMsP50'),
    ratioCell(report, point, etcdName, 'serverUsPerOp'),
    ratioCell(report, point, baselineName, 'reqPerSec'),
    ratioCell(report, point, baselineName, 'latencyMsP50'),
    ratioCell(report, point, baselineName, 'serverUsPerOp'),
  ]);
  const ratioHeader = [
    'conns',
    `req/s ${mrtomKvName}/${etcdName}`,
    'p50 ratio',
    'CPU/op ratio',
    `req/s ${mrtomKvName}/${baselineName}`,
    'p50 ratio',
    'CPU/op ratio',
  ];
  const hasRatios = ratioRows.some((row) => row.slice(1).some((cell) => cell !== '-'));
  return [
    `## ${group.workload}, ${group.valueBytes} B values: ${workloads[group.workload].summary}`,
    '',
    markdownTable(header, rows),
    '',
    ...(hasRatios
      ? [
          `Ratios, ${mrtomKvName} over each reference (of the medians; in brackets the lowest and highest of the same-round pairs):`,
          '',
          markdownTable(ratioHeader, ratioRows),
        ]
      : [`No ratios: ${mrtomKvName} and a reference (${etcdName}, ${baselineName}) did not both run.`]),
    ...(notes.length > 0 ? ['', ...notes.map((note) => `- ${note}`)] : []),
    '',
  ];
}

function headerLines(report: BenchReport): string[] {
  const { machine, settings } = report;
  const other = spreadOf(report.runs.map((run) => run.otherCpuPctOfMachine));
  const code = `${machine.gitCommit}${machine.srcDirty ? ' with uncommitted changes in src/' : ''}`;
  const minutes = `${Math.floor(report.elapsedS / 60)} min ${report.elapsedS % 60} s`;
  return [
    `# mrtom-kv benchmark, ${report.startedAt}`,
    '',
    `- command: \`${settings.command}\` (took ${minutes})`,
    `- machine: ${machine.cpuCount} CPUs (${machine.cpuModel}), Linux ${machine.kernel}, Node ${machine.nodeVersion}; every server ` +
      'and the load generators share these CPUs',
    `- code: mrtom-kv ${code} (compiled dist/, default durability fsync); etcd ${machine.etcdVersion}; baseline bench/baseline-server.ts compiled`,
    `- each point: ${settings.runs} run(s) in interleaved rounds (every target deployed afresh per round and warmed up ` +
      `with ${settings.deployWarmupS} s of writes), ${settings.warmupS} s warm-up + ${settings.durationS} s measured; ` +
      'medians and min–max over the runs',
    `- other load: processes outside the benchmark used ${fixed(other.median, 0)}% of the machine in the median run ` +
      `(${range(other.min, other.max, (value) => fixed(value, 0))}%, column "other CPU %"); a run with a high share had that ` +
      'much less of the machine',
    ...report.targets
      .filter((outcome) => outcome.status !== 'ran')
      .map((outcome) => `- ${outcome.target}: ${outcome.status.toUpperCase()}: ${outcome.reason ?? ''}`),
    '',
  ];
}

function goalLines(report: BenchReport): string[] {
  return [
    '## Targets of issue M7 in this run',
    '',
    markdownTable(
      ['goal', 'values', `measured (${mrtomKvName})`, 'status'],
      report.goals.map((goal) => [goal.goal, `${goal.valueBytes} B`, goal.measured, goal.status]),
    ),
    '',
  ];
}

function loadgenLines(report: BenchReport): string[] {
  const busiest = Math.max(...report.summaries.map((summary) => summary.loadgenCpuPctOfCoreMax.max));
  return [
    '## Load generator',
    '',
    `Each run's load comes from autocannon in its own process (CPU from /proc like the servers). The busiest generator ` +
      `used at most ${fixed(busiest, 0)}% of one core in any run (column "loadgen % core"; a generator is one thread, so ` +
      'near 100 it would be the limit).',
    ...(report.settings.loadgenCheck
      ? [
          'Check: in every round the busiest point of each target ran twice more, back to back in alternating order, with ' +
            'one generator process and with its connections split over two:',
          '',
          ...report.loadgenChecks.map((check) => `- ${pointKey(check.point)}, ${describeCheck(check)}`),
        ]
      : ['The two-generator check was skipped (--no-loadgen-check).']),
    '',
  ];
}

const legendLines = [
  '## How to read this',
  '',
  '- req/s: 2xx responses per second, the median of the full one-second samples of a run; the median over runs and the ' +
    'lowest and highest run beside it. p50/p99: over every 2xx response of a run, median over runs.',
  '- CPU µs/op: utime+stime from /proc/<pid>/stat of every serving process during the measured seconds, divided by the ' +
    '2xx responses; "per role" splits it by process (seq = sequencer, r = replica, m = etcd member; L = the leader in all ' +
    "the runs, L1/3 in one of three; sup = the dev supervisor, which only pipes its children's logs and is not in the sum).",
  '- log entries/op: mrtom-kv log slots applied (etcd: raft index) per 2xx response; linearizable reads share barriers.',
  '- loadgen % core: the busiest generator process, % of one core. other CPU %: busy time of the whole machine not ' +
    'spent by the target, the generators or the runner (other work on a shared machine, kernel threads), % of all cores.',
  '- errors: non-2xx responses + socket errors and timeouts, over all runs.',
  '- Everything is on one machine over loopback: compare ratios within a run, not absolute numbers across machines.',
];

export function formatReport(report: BenchReport): string {
  return [
    ...headerLines(report),
    ...goalLines(report),
    ...groupsOf(report.settings.plan).flatMap((group) => workloadSection(report, group)),
    ...loadgenLines(report),
    ...legendLines,
    '',
  ].join('\n');
}
