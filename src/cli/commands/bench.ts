// `mrtom-kv bench`: a closed-loop load of gets and puts through the SDK with a progress bar on stderr,
// then throughput, latency percentiles (HDR histogram) and errors by kind. Closed-loop load understates
// tail latency under overload (coordinated omission): read p99.9 as a lower bound.
import { Option, InvalidArgumentError } from 'commander';
import { SingleBar } from 'cli-progress';
import { clientCommand, runVerb, type ClientFlags } from '../client-command.js';
import { writeJson, writeTable } from '../output.js';
import { consistencyOption, parseDurationMs, parseIntegerIn } from '../options.js';
import { populate, runWorkload, type WorkloadOptions } from '../bench/workload.js';
import { benchReport, reportRows } from '../bench/report.js';

interface BenchFlags extends ClientFlags {
  connections: number;
  duration: number;
  valueSize: number;
  mix: number;
  keys: number;
  consistency: 'linearizable' | 'stale';
}

const PROGRESS_INTERVAL_MS = 250;
const DURATION_MS_MAX = 3_600_000;

/** `90:10` → 90 (percent of gets). */
function parseMix(raw: string): number {
  const match = /^(\d{1,3}):(\d{1,3})$/.exec(raw);
  if (match === null || Number(match[1]) + Number(match[2]) !== 100)
    throw new InvalidArgumentError(`expected get:put percentages adding up to 100, e.g. 90:10, got "${raw}"`);
  return Number(match[1]);
}

function parseBenchDuration(raw: string): number {
  const ms = parseDurationMs(raw);
  if (ms > DURATION_MS_MAX) throw new InvalidArgumentError(`at most 1h, got "${raw}"`);
  return ms;
}

export function benchCommand() {
  return clientCommand('bench', 'load the cluster with gets and puts; report throughput, latency percentiles and errors', [
    'mrtom-kv bench',
    'mrtom-kv bench --connections 64 --duration 30s --mix 50:50 --keys 10000',
    'mrtom-kv bench --duration 5s -o json | jq .latencyMs.p99',
  ])
    .addOption(new Option('--connections <n>', 'concurrent requests in flight').argParser(parseIntegerIn(1, 1024)).default(16))
    .addOption(new Option('--duration <duration>', 'how long to run (at most 1h)').argParser(parseBenchDuration).default(10_000, '10s'))
    .addOption(new Option('--value-size <bytes>', 'bytes per value').argParser(parseIntegerIn(0, 60_000)).default(100))
    .addOption(new Option('--mix <get:put>', 'percent of gets and puts').argParser(parseMix).default(90, '90:10'))
    .addOption(
      new Option('--keys <n>', 'size of the key space (each written once first)').argParser(parseIntegerIn(1, 1_000_000)).default(1000),
    )
    .addOption(consistencyOption('consistency of the gets'))
    .action(async (flags: BenchFlags) => {
      await runVerb(
        flags,
        async ({ client, output, signal }) => {
          const options: WorkloadOptions = {
            connections: flags.connections,
            durationMs: flags.duration,
            valueBytes: flags.valueSize,
            getPercent: flags.mix,
            keys: flags.keys,
            consistency: flags.consistency,
            signal,
          };
          // cli-progress draws only on a terminal; piped stderr stays clean.
          const bar = new SingleBar({
            stream: process.stderr,
            format: '{phase} |{bar}| {percentage}% | {ops} ops | {rate} ops/s',
            hideCursor: true,
          });
          bar.start(flags.keys, 0, { phase: 'populate', ops: 0, rate: 0 });
          if (flags.mix > 0) await populate(client, options, (written) => bar.update(written, { ops: written }));
          bar.setTotal(flags.duration);
          bar.update(0, { phase: 'bench   ', ops: 0, rate: 0 });
          const startMs = performance.now();
          let ops = 0;
          const ticker = setInterval(() => {
            const elapsedMs = performance.now() - startMs;
            bar.update(Math.min(flags.duration, Math.round(elapsedMs)), { ops, rate: Math.round(ops / (elapsedMs / 1000)) });
          }, PROGRESS_INTERVAL_MS);
          try {
            const result = await runWorkload(client, options, (count) => (ops = count));
            bar.update(flags.duration, { ops });
            bar.stop();
            const report = benchReport(options, result);
            if (output === 'json') writeJson(report);
            else writeTable(['METRIC', 'VALUE'], reportRows(report), output === 'table');
          } finally {
            clearInterval(ticker);
            bar.stop();
          }
        },
        { connectionsPerEndpoint: flags.connections },
      );
    });
}
