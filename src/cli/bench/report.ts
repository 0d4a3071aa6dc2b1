// The summary `mrtom-kv bench` prints: throughput, latency percentiles from the HDR histogram, errors by
// kind. The same numbers for text, table and json.
import type { WorkloadOptions, WorkloadResult } from './workload.js';

export interface BenchReport {
  connections: number;
  durationS: number;
  valueBytes: number;
  mix: string;
  keys: number;
  consistency: string;
  operations: number;
  gets: number;
  puts: number;
  throughputOpsPerS: number;
  latencyMs: { p50: number; p90: number; p99: number; p999: number; max: number };
  errors: Record<string, number>;
}

const round = (value: number, digits: number): number => Number(value.toFixed(digits));

export function benchReport(options: WorkloadOptions, result: WorkloadResult): BenchReport {
  // A percentile is reported as its bucket's upper edge, which can sit just above the largest value seen.
  const maxUs = result.latencyUs.maxValue;
  const ms = (percentile: number): number => round(Math.min(maxUs, result.latencyUs.getValueAtPercentile(percentile)) / 1000, 3);
  const operations = result.gets + result.puts;
  return {
    connections: options.connections,
    durationS: round(result.elapsedMs / 1000, 2),
    valueBytes: options.valueBytes,
    mix: `${options.getPercent}:${100 - options.getPercent}`,
    keys: options.keys,
    consistency: options.consistency,
    operations,
    gets: result.gets,
    puts: result.puts,
    throughputOpsPerS: round(operations / (result.elapsedMs / 1000), 1),
    latencyMs: { p50: ms(50), p90: ms(90), p99: ms(99), p999: ms(99.9), max: round(maxUs / 1000, 3) },
    errors: Object.fromEntries(result.errorsByCode),
  };
}

/** Rows of name and value, for the text and table outputs. */
export function reportRows(report: BenchReport): Array<[string, string]> {
  const errors = Object.entries(report.errors);
  return [
    ['operations', `${report.operations} (${report.gets} get, ${report.puts} put) in ${report.durationS} s`],
    ['throughput', `${report.throughputOpsPerS} ops/s`],
    ['latency p50', `${report.latencyMs.p50} ms`],
    ['latency p90', `${report.latencyMs.p90} ms`],
    ['latency p99', `${report.latencyMs.p99} ms`],
    ['latency p99.9', `${report.latencyMs.p999} ms`],
    ['latency max', `${report.latencyMs.max} ms`],
    ['errors', errors.length === 0 ? 'none' : errors.map(([code, n]) => `${code}: ${n}`).join(', ')],
    [
      'workload',
      `${report.connections} connections, mix get:put ${report.mix}, ${report.keys} keys, ${report.valueBytes}-byte values, ${report.consistency} gets`,
    ],
  ];
}
