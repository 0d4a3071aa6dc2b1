// Saves one run under bench/results/<timestamp>/ (git-ignored): report.json with every raw run,
// report.md as printed, and a throughput–latency chart per workload and value size.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BenchReport } from './bench-report.js';
import { throughputLatencySvg } from './chart-svg.js';
import { resultsDir } from './paths.js';

export async function saveResults(runId: string, report: BenchReport, markdown: string): Promise<string> {
  const dir = join(resultsDir, runId);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(join(dir, 'report.md'), markdown);
  const groups = new Map(report.summaries.map((summary) => [`${summary.point.workload}-${summary.point.valueBytes}B`, summary.point]));
  for (const [name, { workload, valueBytes }] of groups) {
    const summaries = report.summaries.filter((summary) => summary.point.workload === workload && summary.point.valueBytes === valueBytes);
    const title = `${workload}, ${valueBytes} B values: throughput vs latency over connection counts`;
    await writeFile(join(dir, `chart-${name}.svg`), throughputLatencySvg(title, summaries));
  }
  return dir;
}
