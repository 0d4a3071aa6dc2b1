// The harness's main loop, run inside the client namespace (cli.ts starts it there, over the topology
// it built). Long rounds (the default) each get a fresh cluster and a random schedule; short rounds
// (--short, npm test's) run one after another on one cluster, each on keys of its own. Prints one line
// per fault event and per round and the table at the end; or measures throughput at 0, 1 and 5 % loss.
import { rm } from 'node:fs/promises';
import { Prng } from '../sim/prng.js';
import { Cluster } from './cluster.js';
import { parseFaultsOptions, RESULT_LINE_PREFIX, STOP_RESULT, type FaultsOptions } from './options.js';
import { effectsLine, keepEvidence, resultLine, resultTable, throughputTable } from './report.js';
import { runScenario, type ScenarioResult } from './run-scenario.js';
import { SCENARIOS, scenarioNamed, type Scenario } from './scenarios.js';
import { measureThroughput } from './throughput.js';
import { planTopology, type Topology } from './topology.js';

/** The loss rates whose throughput the issue asks for, as fractions of the loss-free run. */
const THROUGHPUT_LOSS_PERCENTS = [0, 1, 5];
/** Each level's phases: enough that a drift of the machine's load averages out. */
const THROUGHPUT_CYCLES = 3;

interface Round {
  scenario: Scenario;
  seed: number;
  /** The command that replays this round's schedule (for a short round: every round up to it, on one cluster). */
  replay: string;
}

function roundsOf(options: FaultsOptions): Generator<Round> {
  const rotation: Scenario[] = options.scenarios.length > 0 ? options.scenarios.map(scenarioNamed) : [...SCENARIOS];
  return (function* () {
    for (let round = 0; round < options.rounds; round++) {
      const scenario = rotation[round % rotation.length]!;
      const seed = options.seed + round;
      const plane = options.dataplane === 'userspace' ? '' : ` --dataplane ${options.dataplane}`;
      const replay = options.short
        ? `npm run test:faults -- --short --seed ${options.seed} --rounds ${round + 1} ${rotation.map((s) => `--scenario ${s.name}`).join(' ')}${plane}`
        : `npm run test:faults -- --scenario ${scenario.name} --seed ${seed} --rounds 1${plane}`;
      yield { scenario, seed, replay };
    }
  })();
}

async function runRound(cluster: Cluster, round: Round, options: FaultsOptions, index: number): Promise<ScenarioResult> {
  const prefix = `[${round.scenario.name} seed ${round.seed}]`;
  console.log(`${prefix} ${round.scenario.summary}`);
  const result = await runScenario({
    cluster,
    scenario: round.scenario,
    mode: options.short ? 'short' : 'long',
    seed: round.seed,
    keyPrefix: `r${index}/`,
    log: (line) => console.log(`${prefix} ${line}`),
  });
  return result;
}

async function report(result: ScenarioResult, round: Round, cluster: Cluster, options: FaultsOptions): Promise<void> {
  console.log(resultLine(result));
  console.log(`  ${effectsLine(result)}`);
  for (const problem of result.problems) console.log(`  problem: ${problem}`);
  if (!result.ok || options.keep) {
    const evidence = await keepEvidence(result, cluster.runDir, round.replay, !options.short);
    console.log(`  evidence in ${evidence}\n  replay: ${round.replay}`);
  }
  if (options.resultLines) {
    const { history, ...rest } = result;
    console.log(`${RESULT_LINE_PREFIX}${JSON.stringify({ ...rest, historyOps: history.ops.length, replay: round.replay })}`);
  }
}

async function runRounds(topology: Topology, options: FaultsOptions): Promise<ScenarioResult[]> {
  const budgetMs = options.minutes * 60_000;
  const startedAtMs = Date.now();
  const results: ScenarioResult[] = [];
  let shared: Cluster | null = null;
  let index = 0;
  for (const round of roundsOf(options)) {
    if (index > 0 && Date.now() - startedAtMs >= budgetMs) break;
    const cluster: Cluster = shared ?? (await Cluster.start(topology, new Prng(round.seed).fork('network'), options.dataplane));
    if (options.short) shared = cluster;
    const result = await runRound(cluster, round, options, index++);
    // A cluster of its own stops with its round, and how it stopped is part of the round's verdict.
    if (!options.short) result.problems.push(...(await cluster.stop()));
    result.ok = result.problems.length === 0;
    results.push(result);
    await report(result, round, cluster, options);
    if (!options.short) await rm(cluster.runDir, { recursive: true, force: true });
  }
  if (shared !== null) {
    // The shared cluster's stop belongs to no round: it gets a line (and a result line) of its own.
    const problems = await shared.stop();
    console.log(problems.length === 0 ? 'the shared cluster stopped cleanly' : `stopping the shared cluster: ${problems.join('; ')}`);
    if (options.resultLines)
      console.log(`${RESULT_LINE_PREFIX}${JSON.stringify({ scenario: STOP_RESULT, ok: problems.length === 0, problems })}`);
    if (problems.length > 0) process.exitCode = 1;
    await rm(shared.runDir, { recursive: true, force: true });
  }
  console.log(`\n${resultTable(results)}`);
  return results;
}

/** Throughput at 0, 1 and 5 % loss in alternating phases on one cluster (throughput.ts). */
async function runThroughput(topology: Topology, options: FaultsOptions, phaseSeconds: number): Promise<boolean> {
  const cluster = await Cluster.start(topology, new Prng(options.seed).fork('network'), options.dataplane);
  const result = await measureThroughput(cluster, {
    lossPercents: THROUGHPUT_LOSS_PERCENTS,
    phaseSeconds,
    cycles: THROUGHPUT_CYCLES,
    seed: options.seed,
    log: (line) => console.log(`[throughput] ${line}`),
  });
  result.problems.push(...(await cluster.stop()));
  await rm(cluster.runDir, { recursive: true, force: true });
  const { ok, failed, indeterminate } = result.ops;
  console.log(
    `throughput run: ops ${ok} ok / ${failed} failed / ${indeterminate} indeterminate, ${result.problems.length === 0 ? 'ok' : 'FAIL'}`,
  );
  for (const problem of result.problems) console.log(`  problem: ${problem}`);
  console.log(`\n${throughputTable(result.levels)}`);
  return result.problems.length === 0;
}

const options = parseFaultsOptions(process.argv.slice(2));
const topology = planTopology(options.shape);
const ok =
  options.throughputSeconds === null
    ? (await runRounds(topology, options)).every((r) => r.ok)
    : await runThroughput(topology, options, options.throughputSeconds);
if (!ok) process.exitCode = 1;
