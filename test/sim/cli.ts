// `npm run sim -- --seeds 100000 [--from 1]`: runs many seeds, prints progress and every failure with the
// command that replays it. `npm run sim -- --seed N --trace`: runs one seed and prints its event trace.
// `--mutation <name>` runs with a deliberate bug (mutations.ts; `--mutation list` names them), and
// `--durability fsync|async|memory` pins the durability mode. Exit code 1 if any seed failed.
import { parseArgs } from 'node:util';
import type { Durability } from '../../src/config/cluster.js';
import { isMutation, MUTATIONS } from './mutations.js';
import { replayCommand, runSeed, type RunOptions, type SeedResult } from './run-seed.js';

const PROGRESS_INTERVAL_MS = 2000;
/** Failures printed in full; past this only their replay commands are listed, so a broken build does not flood the terminal. */
const FAILURES_PRINTED_MAX = 10;
const DURABILITIES: readonly string[] = ['fsync', 'async', 'memory'];

const { values } = parseArgs({
  options: {
    seeds: { type: 'string' },
    from: { type: 'string', default: '1' },
    seed: { type: 'string' },
    trace: { type: 'boolean', default: false },
    mutation: { type: 'string' },
    durability: { type: 'string' },
  },
  strict: true,
});

function integer(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`--${name} must be a non-negative integer, got ${text}`);
  return value;
}

if (values.mutation === 'list') {
  for (const [name, what] of Object.entries(MUTATIONS)) console.log(`${name.padEnd(24)} ${what}`);
  process.exit(0);
}
if (values.mutation !== undefined && !isMutation(values.mutation)) {
  console.error(`--mutation must be one of ${Object.keys(MUTATIONS).join(', ')}, got ${values.mutation}`);
  process.exit(2);
}
if (values.durability !== undefined && !DURABILITIES.includes(values.durability)) {
  console.error(`--durability must be one of ${DURABILITIES.join(', ')}, got ${values.durability}`);
  process.exit(2);
}
const runOptions: RunOptions = {
  ...(values.mutation === undefined ? {} : { mutation: values.mutation as RunOptions['mutation'] }),
  ...(values.durability === undefined ? {} : { durability: values.durability as Durability }),
};

function printFailure(result: SeedResult): void {
  const failure = result.failure!;
  console.log(`\nseed ${result.seed} FAILED (${failure.kind} at ${failure.atMs.toFixed(1)} ms): ${failure.message}`);
  console.log(`  config: ${result.config}`);
  console.log(`  replay: ${replayCommand(result.seed, runOptions)}`);
}

if (values.seed !== undefined) {
  const seed = integer('seed', values.seed);
  const result = await runSeed(seed, values.trace ? { ...runOptions, onTraceLine: (line) => console.log(line) } : runOptions);
  console.log(`seed ${seed}: ${result.ok ? 'ok' : 'FAILED'}; ${result.events} events, ${result.simulatedMs.toFixed(0)} simulated ms`);
  console.log(`  ops ${JSON.stringify(result.ops)}; slots ${JSON.stringify(result.slots)}; datagrams ${JSON.stringify(result.network)}`);
  if (!result.ok) printFailure(result);
  process.exitCode = result.ok ? 0 : 1;
} else {
  const count = integer('seeds', values.seeds ?? '1000');
  const from = integer('from', values.from);
  const startedMs = performance.now();
  let lastProgressMs = startedMs;
  let events = 0;
  const failed: SeedResult[] = [];
  for (let seed = from; seed < from + count; seed += 1) {
    const result = await runSeed(seed, runOptions);
    events += result.events;
    if (!result.ok) {
      failed.push(result);
      if (failed.length <= FAILURES_PRINTED_MAX) printFailure(result);
    }
    const nowMs = performance.now();
    if (nowMs - lastProgressMs >= PROGRESS_INTERVAL_MS || seed === from + count - 1) {
      lastProgressMs = nowMs;
      const done = seed - from + 1;
      const rate = (done / (nowMs - startedMs)) * 1000;
      console.log(`${done}/${count} seeds, ${failed.length} failed, ${rate.toFixed(1)} seeds/s, ${(events / done).toFixed(0)} events/seed`);
    }
  }
  if (failed.length > FAILURES_PRINTED_MAX) {
    console.log(`\n${failed.length - FAILURES_PRINTED_MAX} more failures:`);
    for (const result of failed.slice(FAILURES_PRINTED_MAX))
      console.log(`  ${result.failure!.kind}: ${replayCommand(result.seed, runOptions)}`);
  }
  process.exitCode = failed.length === 0 ? 0 : 1;
}
