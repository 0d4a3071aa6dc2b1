// Proves an apply batch is all or nothing — data, client table, watch history, revision and applied slot — even under SIGKILL,
// and that entries continue exactly at the next slot. How: real LevelDB; a child process (crash-writer.ts) killed mid-stream.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { dumpDatabase, opEntry, put, readRecord, storeHarness } from './fixtures.js';
import { ENTRIES_PER_BATCH, stateAfter, type CrashState } from './crash-batches.js';
import { openReplicaStore } from '../../../src/store/replica-store.js';
import { levelDatabase, openSublevels, readClients } from '../../../src/store/database.js';
import type { ViewState } from '../../../src/consensus/view-state.js';

const CRASH_WRITER = fileURLToPath(new URL('./crash-writer.ts', import.meta.url));
const CRASH_ROUNDS = 5;
/** Each round kills the writer once it has reported a random number of batches in this range. */
const KILL_AFTER_BATCHES_MIN = 1;
const KILL_AFTER_BATCHES_MAX = 20;
/** A round whose writer has not reported enough batches by then fails instead of hanging. */
const ROUND_DEADLINE_MS = 20_000;
/**
 * Far above the keys and revisions CRASH_ROUNDS rounds write (a few thousand), so one read returns them
 * all; that is also well inside the 10,000 revisions of watch history a store keeps, so none is compacted.
 */
const ITEMS_READ_MAX = 100_000;

interface WriterRun {
  resumedAfter: number | null;
  /** The last batch the writer reported applied (its applyBatch had resolved). */
  reported: number;
  signal: NodeJS.Signals | null;
}

/**
 * Runs crash-writer.ts on `dir` and kills it with SIGKILL at a random point of the batch that follows
 * its `killAfter`-th report: a kill at the report itself would always land at the start of a batch, long
 * before its LevelDB write. The point is drawn within the mean time between reports so far.
 */
async function runWriterUntilKilled(dir: string, killAfter: number): Promise<WriterRun> {
  const child = spawn(process.execPath, ['--import', 'tsx', CRASH_WRITER, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const run: WriterRun = { resumedAfter: null, reported: 0, signal: null };
  let reports = 0;
  let resumedAtMs = 0;
  let kill: NodeJS.Timeout | undefined;
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const message = JSON.parse(line) as { resumedAfter?: number; applied?: number };
    if (message.resumedAfter !== undefined) {
      run.resumedAfter = message.resumedAfter;
      resumedAtMs = performance.now();
    }
    if (message.applied === undefined) return;
    run.reported = message.applied;
    reports += 1;
    if (reports !== killAfter) return;
    const batchMsMean = (performance.now() - resumedAtMs) / reports;
    kill = setTimeout(() => child.kill('SIGKILL'), Math.random() * batchMsMean);
  });
  const deadline = setTimeout(() => child.kill('SIGKILL'), ROUND_DEADLINE_MS);
  // 'close' comes after the exit AND the last line of output.
  const [, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
  clearTimeout(deadline);
  clearTimeout(kill);
  expect(reports, `writer reports before the kill or the ${ROUND_DEADLINE_MS} ms deadline`).toBeGreaterThanOrEqual(killAfter);
  return { ...run, signal };
}

/** The reopened store's state, in the shape of stateAfter's. */
async function readCrashState(dir: string): Promise<CrashState> {
  const store = await openReplicaStore(dir, { durability: 'fsync' });
  let state: Omit<CrashState, 'clients'>;
  try {
    const meta = store.state.meta();
    const { entries } = await store.reads.readRange({ prefix: 'crash/', limit: ITEMS_READ_MAX });
    const rows = entries.map(({ key, record }) => ({
      key,
      value: Buffer.from(record.value).toString(),
      createRevision: record.createRevision,
      modRevision: record.modRevision,
      version: record.version,
    }));
    const { history } = await store.reads.readEvents(1, ITEMS_READ_MAX);
    state = { meta, rows, history: history.map((h) => [h.revision, h.events.map((e) => e.key)]) };
  } finally {
    await store.close();
  }
  // The state store keeps its client table to itself; this is the reader its open() uses.
  const sublevels = await openSublevels(levelDatabase(join(dir, 'state')));
  try {
    return { ...state, clients: await readClients(sublevels.clients) };
  } finally {
    await sublevels.db.close();
  }
}

const harness = storeHarness();

describe('atomic apply', () => {
  it('keeps every batch whole, or drops it whole, when the process applying them is killed at random points', async () => {
    const dir = await harness.newDir();
    let batches = 0;
    for (let round = 0; round < CRASH_ROUNDS; round++) {
      const killAfter = KILL_AFTER_BATCHES_MIN + Math.floor(Math.random() * (KILL_AFTER_BATCHES_MAX - KILL_AFTER_BATCHES_MIN + 1));
      const run = await runWriterUntilKilled(dir, killAfter);
      const context = `round ${round}, killed after ${killAfter} reports, last reported batch ${run.reported}`;
      expect(run.signal, context).toBe('SIGKILL');
      // It resumed exactly where the previous round's reopened store stood.
      expect(run.resumedAfter, context).toBe(batches);
      const state = await readCrashState(dir);
      expect(state.meta.appliedSlot % ENTRIES_PER_BATCH, `${context}: applied slot ${state.meta.appliedSlot}`).toBe(0);
      batches = state.meta.appliedSlot / ENTRIES_PER_BATCH;
      // Every reported batch survived. One more may have been written before the kill stopped its report;
      // the one after could not have begun, since the writer reports before starting the next batch.
      expect([run.reported, run.reported + 1], context).toContain(batches);
      expect(state, context).toEqual(stateAfter(batches));
    }
  });

  it('keeps data and applied index together across a clean close', async () => {
    const dir = await harness.newDir();
    const before = await harness.open(dir, 'fsync');
    await before.state.applyBatch([opEntry(1, put('a', '1')), opEntry(2, put('b', '2'))]);
    await before.close();
    const after = await harness.open(dir, 'fsync');
    expect(after.state.meta()).toMatchObject({ appliedSlot: 2, revision: 2 });
    expect((await readRecord(after, 'b'))?.modRevision).toBe(2);
  });

  // Each case starts from a store that has applied slot 1 (session 1, seq 1).
  it.each([
    ['skips a slot at the start', [opEntry(3, put('a', '1'))], /slot 3 does not follow applied slot 1/],
    ['skips a slot in the middle', [opEntry(2, put('a', '1')), opEntry(4, put('b', '2'))], /slot 4 does not follow applied slot 2/],
    ['repeats an applied slot', [opEntry(1, put('a', '1'))], /slot 1 does not follow applied slot 1/],
    ['goes back to an older session', [opEntry(2, put('a', '1'), { session: 0 })], /older than applied session 1/],
    [
      'goes back a session within the batch',
      [opEntry(2, put('a', '1'), { session: 2, seq: 1 }), opEntry(3, put('b', '2'), { session: 1 })],
      /older than applied session 2/,
    ],
  ])('refuses a batch that %s and writes none of it', async (_name, batch, message) => {
    const dir = await harness.newDir();
    const store = await harness.open(dir, 'fsync');
    await store.state.applyBatch([opEntry(1, put('z', '0'))]);
    const metaBefore = store.state.meta();
    await store.close();
    const rowsBefore = await dumpDatabase(dir);

    const reopened = await harness.open(dir, 'fsync');
    await expect(reopened.state.applyBatch(batch)).rejects.toThrow(message);
    expect(reopened.state.meta()).toEqual(metaBefore);
    await reopened.close();
    expect(await dumpDatabase(dir)).toEqual(rowsBefore);
  });

  it('runs applyBatch and saveViewState issued together one after the other, losing neither', async () => {
    const dir = await harness.newDir();
    const store = await harness.open(dir, 'fsync');
    const view: ViewState = {
      view: 7,
      session: 1,
      sequencerId: 0,
      sequencerIncarnation: 0,
      sessionBase: 0,
      lastNormalView: 7,
      lastNormalSession: 1,
    };
    await Promise.all([
      store.state.applyBatch([opEntry(1, put('a', '1'))]),
      store.log.saveView(view),
      store.state.applyBatch([opEntry(2, put('b', '2'))]),
    ]);
    await store.close();
    const reopened = await harness.open(dir, 'fsync');
    expect(reopened.state.meta()).toEqual({ appliedSlot: 2, session: 1, appliedSeq: 2, revision: 2 });
    expect(reopened.log.viewState()).toEqual(view);
  });

  it('continues the slot into a newer session, within one batch, whatever seq that session starts at', async () => {
    const store = await harness.open(await harness.newDir(), 'async');
    await store.state.applyBatch([
      opEntry(1, put('a', '1')),
      opEntry(2, put('a', '2')),
      opEntry(3, put('a', '3'), { session: 2, seq: 1 }),
      opEntry(4, put('a', '4'), { session: 5, seq: 9 }),
    ]);
    expect(store.state.meta()).toEqual({ appliedSlot: 4, session: 5, appliedSeq: 9, revision: 4 });
  });
});
