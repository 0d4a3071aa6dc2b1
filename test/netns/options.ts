// The options of `npm run test:faults` (cli.ts on the host, driver.ts inside the client namespace: the
// host passes its arguments through unchanged, so both parse them here).
import { parseArgs } from 'node:util';
import type { TopologyShape } from './topology.js';

export interface FaultsOptions {
  /** Rounds start until this much time has passed (the last one may run past it). */
  minutes: number;
  /** Only these scenarios, in turn; empty: every scenario in turn. */
  scenarios: string[];
  /** Round i runs with seed + i, so `--seed S --rounds 1` replays one round's schedule. */
  seed: number;
  /** Stop after this many rounds, whatever the time. */
  rounds: number;
  /** The short schedules (npm test's) instead of the long random ones. */
  short: boolean;
  /** Measure write throughput at 0, 1 and 5% loss in alternating phases of this many seconds, instead of the scenarios. */
  throughputSeconds: number | null;
  /** Keep every round's evidence folder, not only a failing one's (to read a passing run's logs). */
  keep: boolean;
  /** Also print each round's result as one machine-readable line (RESULT_LINE_PREFIX + JSON), for the tests. */
  resultLines: boolean;
  shape: TopologyShape;
  /** The sequencers' data plane; with `xdp` the cluster config names a multicast group (docs/xdp.md). */
  dataplane: DataPlaneName;
}

export type DataPlaneName = 'userspace' | 'xdp';

export const USAGE = `npm run test:faults -- [--minutes N] [--scenario NAME]... [--seed S] [--rounds K] [--short]
                         [--replicas 3|5] [--dataplane userspace|xdp] [--throughput SECONDS] [--keep]
                         [--result-lines]`;

export const RESULT_LINE_PREFIX = '@result ';
/** The result line's scenario name for the stop of the cluster the short rounds shared. */
export const STOP_RESULT = 'stop-shared-cluster';

function integer(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < min || value > max)
    throw new Error(`--${name} must be an integer from ${min} to ${max}, got ${raw}\n${USAGE}`);
  return value;
}

export function parseFaultsOptions(argv: readonly string[]): FaultsOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      minutes: { type: 'string' },
      scenario: { type: 'string', multiple: true },
      seed: { type: 'string' },
      rounds: { type: 'string' },
      short: { type: 'boolean' },
      replicas: { type: 'string' },
      throughput: { type: 'string' },
      keep: { type: 'boolean' },
      'result-lines': { type: 'boolean' },
      dataplane: { type: 'string' },
    },
    strict: true,
  });
  const replicas = integer('replicas', values.replicas, 3, 3, 5);
  if (replicas % 2 === 0) throw new Error(`--replicas must be odd (2f+1), got ${replicas}`);
  const dataplane = values.dataplane ?? 'userspace';
  if (dataplane !== 'userspace' && dataplane !== 'xdp') throw new Error(`--dataplane must be userspace or xdp, got ${dataplane}\n${USAGE}`);
  return {
    minutes: integer('minutes', values.minutes, 10, 0, 24 * 60),
    scenarios: values.scenario ?? [],
    seed: integer('seed', values.seed, Date.now() % 1_000_000, 0, Number.MAX_SAFE_INTEGER),
    rounds: integer('rounds', values.rounds, 1_000_000, 1, 1_000_000),
    short: values.short ?? false,
    throughputSeconds: values.throughput === undefined ? null : integer('throughput', values.throughput, 20, 1, 3_600),
    keep: values.keep ?? false,
    resultLines: values['result-lines'] ?? false,
    shape: { replicas, sequencers: 2 },
    dataplane,
  };
}
