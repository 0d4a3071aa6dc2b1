// Proves that the real processes survive every fault kind of issue M6 — loss, delay, reordering,
// duplication, partitions (one-way included), kill -9 and SIGSTOP of leader and sequencer — with a
// linearizable history, no acknowledged write lost, converged replicas and bounded recovery. How: the
// harness's short schedules (test/netns/scenarios.ts) run one after another on one cluster, by the same
// driver `npm run test:faults -- --short` uses, inside the client namespace of a topology built here. Then
// the kill -9 scenarios once more with the sequencers on the XDP data plane (issue M5).
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RESULT_LINE_PREFIX, STOP_RESULT, type DataPlaneName } from './options.js';
import { assertBuildFresh, buildXdp } from './processes.js';
import { SCENARIOS, type Scenario } from './scenarios.js';
import { checkTools } from './tools.js';
import { CLIENT_NS, planTopology, setUpTopology } from './topology.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const DRIVER = fileURLToPath(new URL('./driver.ts', import.meta.url));
/** A fixed seed keeps the schedules the same on every run; MRTOM_NETNS_SEED explores others. */
const SEED = Number(process.env.MRTOM_NETNS_SEED ?? 1);
/** One short scenario takes 5 to 20 s here; a stuck one hits the harness's own 30 s bounds first. */
const SCENARIO_TIMEOUT_MS = 180_000;

interface Result {
  scenario: string;
  ok: boolean;
  problems: string[];
  replay?: string;
}

/** Kill -9 of replicas and sequencers, which the XDP plane must survive as the userspace one does (issue M5). */
const XDP_SCENARIOS = ['kill-replica', 'kill-sequencer', 'kill-leader-and-sequencer'];

/** One shared cluster running `scenarios` in turn over `dataplane`, one test per scenario and one for its stop. */
function describeScenarios(title: string, dataplane: DataPlaneName, scenarios: readonly Scenario[]): void {
  const waiting = new Map<string, { promise: Promise<Result>; resolve: (r: Result) => void; reject: (e: Error) => void }>();
  const output: string[] = [];
  let teardown: (() => void) | undefined;
  let driver: ChildProcess | undefined;

  const resultOf = (name: string): Promise<Result> => waiting.get(name)!.promise;

  describe(title, () => {
    beforeAll(() => {
      checkTools();
      assertBuildFresh();
      if (dataplane === 'xdp') buildXdp();
      teardown = setUpTopology(planTopology({ replicas: 3, sequencers: 2 }));
      for (const name of [...scenarios.map((s) => s.name), STOP_RESULT]) {
        let resolve!: (r: Result) => void;
        let reject!: (e: Error) => void;
        const promise = new Promise<Result>((res, rej) => ((resolve = res), (reject = rej)));
        // A scenario whose test never ran (filtered out) must not leave an unhandled rejection behind.
        promise.catch(() => undefined);
        waiting.set(name, { promise, resolve, reject });
      }
      const args = ['--short', '--seed', String(SEED), '--rounds', String(scenarios.length), '--result-lines', '--dataplane', dataplane];
      if (scenarios.length < SCENARIOS.length) args.push(...scenarios.flatMap((s) => ['--scenario', s.name]));
      driver = spawn('ip', ['netns', 'exec', CLIENT_NS, process.execPath, '--import', 'tsx', DRIVER, ...args], {
        cwd: REPO,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const collect = (line: string) => {
        if (!line.startsWith(RESULT_LINE_PREFIX)) return void output.push(line);
        const result = JSON.parse(line.slice(RESULT_LINE_PREFIX.length)) as Result;
        waiting.get(result.scenario)?.resolve(result);
      };
      createInterface({ input: driver.stdout! }).on('line', collect);
      createInterface({ input: driver.stderr! }).on('line', (line) => output.push(line));
      driver.once('exit', (code, signal) => {
        const tail = output.slice(-40).join('\n');
        for (const { reject } of waiting.values()) reject(new Error(`the driver exited (${signal ?? code}) before this result:\n${tail}`));
      });
    });

    afterAll(() => {
      if (driver !== undefined && driver.exitCode === null) driver.kill('SIGKILL');
      teardown?.();
    });

    for (const scenario of scenarios) {
      it(`${scenario.name}: ${scenario.summary}`, { timeout: SCENARIO_TIMEOUT_MS }, async () => {
        const result = await resultOf(scenario.name);
        const events = output.filter((line) => line.startsWith(`[${scenario.name} `)).join('\n');
        expect(result.problems, `${events}\nreplay: ${result.replay}`).toEqual([]);
        expect(result.ok).toBe(true);
      });
    }

    it('stops the cluster the scenarios shared, every process exiting cleanly', { timeout: SCENARIO_TIMEOUT_MS }, async () => {
      const result = await resultOf(STOP_RESULT);
      expect(result.problems).toEqual([]);
    });
  });
}

describeScenarios('fault scenarios on real processes in network namespaces (short schedules)', 'userspace', SCENARIOS);
describeScenarios(
  'kill -9 of replicas and sequencers over the XDP data plane (short schedules)',
  'xdp',
  SCENARIOS.filter((s) => XDP_SCENARIOS.includes(s.name)),
);
