// `npx tsx bench/apply-bench.ts`: CPU per applied put of one replica's state store (src/store), without
// the network, the log or HTTP. Committed entries shaped like the submitter's (several clients, a batch
// of puts per entry, floors trailing by the batches in flight) are applied through StateStore.applyBatch
// on a real LevelDB, with a synced checkpoint every 100 ms as the replica host does, and with the
// history retention in force, so its compaction is counted. CPU is the whole process's (user + system,
// every thread: LevelDB's own compaction too), per put, after a warm-up; the median of the runs is printed.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import type { LogEntry } from '../src/consensus/log-entry.js';
import { encodeOpRequest } from '../src/store/ops.js';
import { openReplicaStore } from '../src/store/replica-store.js';
import { integerIn } from './flags.js';
import { median } from './stats.js';

const CHECKPOINT_INTERVAL_MS = 100;
/** Batches a submitter keeps in flight (src/runtime/timing.ts): its floor trails its newest op by that many. */
const BATCHES_IN_FLIGHT = 2;

const options = new Command()
  .description('CPU µs per applied put of the state store')
  .option('--puts <n>', 'measured puts per run', integerIn(1_000, 10_000_000), 200_000)
  .option('--warmup <n>', 'puts applied before measuring', integerIn(0, 10_000_000), 50_000)
  .option('--runs <n>', 'runs, each on a fresh store', integerIn(1, 20), 3)
  .option('--ops-per-entry <n>', 'puts per log entry (one submitter batch)', integerIn(1, 1024), 16)
  .option('--entries-per-apply <n>', 'entries per applyBatch call', integerIn(1, 1024), 4)
  .option('--clients <n>', 'submitters taking turns', integerIn(1, 64), 3)
  .option('--keys <n>', 'distinct keys written at random', integerIn(1, 10_000_000), 10_000)
  .option('--value-bytes <n>', 'bytes per value', integerIn(0, 60_000), 100)
  .option('--history <n>', 'revisions of history retained', integerIn(1, 10_000_000), 10_000)
  .parse()
  .opts<{
    puts: number;
    warmup: number;
    runs: number;
    opsPerEntry: number;
    entriesPerApply: number;
    clients: number;
    keys: number;
    valueBytes: number;
    history: number;
  }>();

/** Deterministic keys (xorshift), so every run and layout writes the same sequence. */
function keyStream(seed: number): () => string {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return `bench/${String((state >>> 0) % options.keys).padStart(8, '0')}`;
  };
}

/** Builds the log: entry i belongs to client i mod clients, with the next opsPerEntry request ids of it. */
class LogBuilder {
  private slot = 0;
  private readonly nextRequestId: number[] = Array.from({ length: options.clients }, () => 1);
  private readonly nextKey = keyStream(42);
  private readonly value = new Uint8Array(options.valueBytes).fill(0x61);

  entries(count: number): LogEntry[] {
    return Array.from({ length: count }, () => this.entry());
  }

  private entry(): LogEntry {
    this.slot += 1;
    const client = this.slot % options.clients;
    const first = this.nextRequestId[client]!;
    this.nextRequestId[client] = first + options.opsPerEntry;
    const floor = Math.max(0, first - 1 - (BATCHES_IN_FLIGHT - 1) * options.opsPerEntry);
    const ops = Array.from({ length: options.opsPerEntry }, (_, i) => ({
      requestId: first + i,
      op: { type: 'put' as const, key: this.nextKey(), value: this.value },
    }));
    return {
      slot: this.slot,
      session: 1,
      seq: this.slot,
      view: 0,
      clientId: client + 1,
      requestId: first,
      body: new Uint8Array(encodeOpRequest({ floor, ops })),
      noop: false,
    };
  }
}

async function run(): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'mrtom-apply-bench-'));
  const store = await openReplicaStore(dir, { durability: 'fsync', eventRetainRevisions: options.history });
  try {
    const log = new LogBuilder();
    const perApply = options.opsPerEntry * options.entriesPerApply;
    let lastCheckpointMs = 0;
    // Built before they are applied, so that encoding them is not counted: a replica receives them encoded.
    const batches = (puts: number): LogEntry[][] =>
      Array.from({ length: Math.ceil(puts / perApply) }, () => log.entries(options.entriesPerApply));
    const apply = async (prepared: readonly LogEntry[][]): Promise<void> => {
      for (const batch of prepared) {
        const nowMs = performance.now();
        const checkpoint = nowMs - lastCheckpointMs >= CHECKPOINT_INTERVAL_MS;
        if (checkpoint) lastCheckpointMs = nowMs;
        await store.state.applyBatch(batch, checkpoint);
      }
    };
    await apply(batches(options.warmup));
    const measured = batches(options.puts);
    const before = process.cpuUsage();
    const startMs = performance.now();
    await apply(measured);
    const cpu = process.cpuUsage(before);
    const wallMs = performance.now() - startMs;
    const cpuUsPerPut = (cpu.user + cpu.system) / options.puts;
    process.stderr.write(`run: ${cpuUsPerPut.toFixed(1)} µs CPU per put, ${((options.puts / wallMs) * 1000).toFixed(0)} puts/s\n`);
    return cpuUsPerPut;
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

const results: number[] = [];
for (let i = 0; i < options.runs; i++) results.push(await run());
const sorted = [...results].sort((a, b) => a - b);
process.stdout.write(
  `${JSON.stringify({ ...options, cpuUsPerPutMedian: Number(median(results).toFixed(1)), cpuUsPerPutRuns: sorted.map((v) => Number(v.toFixed(1))) })}\n`,
);
