// Proves the replica host performs a real replica's effects against a real LevelDB store in the
// documented order: the view state is durable before the messages that depend on it leave; an ACK
// never claims an entry before its write resolved; entry writes that queue up behind one in flight are
// group-committed into one write; COMMITs that arrive while an apply is written go into one batch; and
// drain() returns once the writes are done; effects behind consecutive view-state writes keep their order;
// a slot a queued write rewrites is never reported durable; a snapshot install is announced like an
// apply. How: a real replica restored in a bound session fed ORDERED and COMMIT bursts, with the store's
// ports wrapped only to count and hold calls; and for the ordering rules and the install, a scripted
// machine whose effect lists the test writes out.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { createReplica, machineOf } from '../../../src/consensus/replica.js';
import type { LogEntry } from '../../../src/consensus/log-entry.js';
import type { Peer, ReplicaEffect, ReplicaInput, ReplicaMachine } from '../../../src/consensus/types.js';
import type { ViewState } from '../../../src/consensus/view-state.js';
import { MessageType } from '../../../src/mrtom/header.js';
import { decodeDatagram, encodeDatagram } from '../../../src/mrtom/messages.js';
import type { Clock } from '../../../src/runtime/clock.js';
import { ReplicaHost } from '../../../src/runtime/replica-host.js';
import { PROTOCOL_TIMING } from '../../../src/runtime/timing.js';
import { BOUND_INCARNATION, BOUND_SESSION, logEntry } from '../consensus/fixtures.js';
import { encodeOpRequest } from '../../../src/store/ops.js';
import { openReplicaStore, type ReplicaStore } from '../../../src/store/replica-store.js';
import { INITIAL_META } from '../../../src/store/applied.js';

const INCARNATION = BOUND_INCARNATION;
/** The slot a scripted snapshot install leaves the store at. */
const SNAPSHOT_SLOT = 7;

/** A clock the test moves by hand: deferred work runs only when the test says so. */
function manualClock() {
  const deferred: Array<() => void> = [];
  const time = { nowMs: 10 };
  const clock: Clock = {
    nowMs: () => time.nowMs,
    wallMs: () => time.nowMs,
    defer: (run) => void deferred.push(run),
    every: () => ({ cancel: () => {} }),
  };
  return { clock, time, runDeferred: () => deferred.splice(0).forEach((run) => run()) };
}

const CHECKPOINT_INTERVAL_MS = 100;

function ordered(seq: number, commit = 0): Uint8Array {
  const body = encodeOpRequest({
    floor: seq - 1,
    ops: [{ requestId: seq, op: { type: 'put', key: `k${seq}`, value: new Uint8Array([seq]) } }],
  });
  return encodeDatagram(
    { type: MessageType.ORDERED, group: 1, session: 1, view: 0, seq, commit, requestId: seq, sender: 500, incarnation: INCARNATION },
    body,
  );
}

function commitNotice(commit: number, last: number): Uint8Array {
  return encodeDatagram({
    type: MessageType.COMMIT,
    group: 1,
    session: 1,
    view: 0,
    seq: last,
    commit,
    requestId: 0,
    sender: 0,
    incarnation: INCARNATION,
  });
}

describe('ReplicaHost', () => {
  let dir = '';
  let store: ReplicaStore | undefined;
  afterEach(async () => {
    await store?.close();
    store = undefined;
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function harness(viewState: ViewState | null) {
    dir = await mkdtemp(join(tmpdir(), 'mrtom-host-'));
    const s = await openReplicaStore(dir, { durability: 'fsync' });
    store = s;
    if (viewState) await s.log.saveView(viewState);
    const machine = machineOf(
      createReplica(
        {
          id: 1,
          group: 1,
          replicaIds: [1, 2, 3],
          sequencerIds: [1],
          durability: 'fsync',
          timing: PROTOCOL_TIMING,
          logRetainEntries: 100,
          pendingEntriesMax: 100,
          nonce: 7,
        },
        { viewState: s.log.viewState(), appliedSlot: 0, log: [], nowMs: 0, stateLost: false },
      ),
    );
    const appends: LogEntry[][] = [];
    const applies: LogEntry[][] = [];
    /** While set, appends and applies wait for it: writes that are slow to reach the disk. */
    let holdWrites: Promise<void> | null = null;
    const sent: Array<{ to: Peer; type: MessageType; seq: number; viewSaved: boolean; appendsDone: number }> = [];
    let appendsDone = 0;
    const { clock, runDeferred } = manualClock();
    const host = new ReplicaHost({
      machine,
      log: {
        append: async (entries) => {
          appends.push([...entries]);
          await holdWrites;
          await s.log.append(entries);
          appendsDone += 1;
        },
        truncateAfter: (slot) => s.log.truncateAfter(slot),
        saveView: (view) => s.log.saveView(view),
        trimBelow: (slot) => s.log.trimBelow(slot),
      },
      state: {
        applyBatch: async (entries, _checkpoint, onResults) => {
          applies.push([...entries]);
          await holdWrites;
          return s.state.applyBatch(entries, true, onResults);
        },
        installSnapshot: () => Promise.reject(new Error('not expected')),
      },
      snapshots: { fetch: () => Promise.reject(new Error('not expected')) },
      network: {
        send: (to, bytes) => {
          const { header } = decodeDatagram(bytes);
          sent.push({ to, type: header.type, seq: header.seq, viewSaved: s.log.viewState() !== null, appendsDone });
        },
      },
      clock,
      logger: pino({ level: 'silent' }),
      checkpointIntervalMs: CHECKPOINT_INTERVAL_MS,
      logTrimStepEntries: 512,
      onLogged: () => {},
      onDurable: () => {},
      onCommitted: () => {},
      onApplied: () => {},
      onSnapshotInstalled: () => {},
      onFatal: (err) => {
        throw err;
      },
    });
    const hold = () => {
      let release!: () => void;
      holdWrites = new Promise((resolve) => (release = resolve));
      return () => {
        holdWrites = null;
        release();
      };
    };
    return { host, store: s, appends, applies, sent, runDeferred, hold };
  }

  it('writes the view state before sending, and drains after effects queued behind it', async () => {
    const { host, store: s, sent } = await harness(null);
    host.tick(); // the first leader starts session 1: persist-view, then votes
    host.tick(); // a resend, queued behind the view-state write
    expect(sent).toEqual([]); // nothing leaves before the promise is on disk
    await host.drain();
    expect(s.log.viewState()).toMatchObject({ view: 0, session: 1 });
    expect(sent.length).toBeGreaterThanOrEqual(2);
    expect(sent.every((m) => m.viewSaved && m.type === MessageType.VIEW_CHANGE_REQUEST)).toBe(true);
  });

  it('group-commits entries that queue behind a write in flight, and ACKs each only after its write', async () => {
    const { host, store: s, appends, sent, runDeferred, hold } = await harness(BOUND_SESSION);
    const release = hold();
    host.receive({ sequencer: 1 }, ordered(1));
    runDeferred(); // the burst's flush: nothing is durable yet, so no ACK
    for (let seq = 2; seq <= 6; seq++) host.receive({ sequencer: 1 }, ordered(seq));
    runDeferred();
    // Only the announcement of where it starts (through 0) has left.
    expect(sent.filter((m) => m.type === MessageType.ACK && m.seq > 0)).toEqual([]);
    release();
    await host.drain();
    runDeferred();
    // The first write went alone; the five that queued behind it went as one.
    expect(appends.map((batch) => batch.map((e) => e.slot))).toEqual([[1], [2, 3, 4, 5, 6]]);
    const acks = sent.filter((m) => m.type === MessageType.ACK && m.seq > 0);
    expect(acks.length).toBeGreaterThan(0);
    // Every ACK was sent after the write covering its `through` resolved: one write covers seq 1, two cover 6.
    for (const ack of acks) expect(ack.appendsDone).toBeGreaterThanOrEqual(ack.seq <= 1 ? 1 : 2);
    expect(acks.at(-1)!.seq).toBe(6);
    await s.close();
    store = await openReplicaStore(dir, { durability: 'fsync' });
    expect((await store.log.load()).map((e) => e.slot)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('takes no input once stopped, so a datagram arriving during shutdown writes nothing', async () => {
    const { host, appends } = await harness(BOUND_SESSION);
    host.receive({ sequencer: 1 }, ordered(1));
    await host.stop();
    expect(appends.map((batch) => batch.map((e) => e.slot))).toEqual([[1]]);
    host.receive({ sequencer: 1 }, ordered(2));
    host.tick();
    await host.drain();
    expect(appends).toHaveLength(1);
  });

  it('applies committed slots in order, folding COMMITs that arrive during an apply into one batch', async () => {
    const { host, store: s, applies, hold } = await harness(BOUND_SESSION);
    for (let seq = 1; seq <= 5; seq++) host.receive({ sequencer: 1 }, ordered(seq));
    await host.drain();
    const release = hold();
    host.receive({ sequencer: 1 }, commitNotice(1, 5)); // an apply of slot 1 starts and is slow...
    await new Promise((resolve) => setImmediate(resolve));
    expect(applies).toHaveLength(1);
    host.receive({ sequencer: 1 }, commitNotice(3, 5)); // ...slots 2-3 wait for it...
    host.receive({ sequencer: 1 }, commitNotice(5, 5)); // ...and 4-5 join them in the same next batch
    release();
    await host.drain();
    expect(applies.map((batch) => batch.map((e) => e.slot))).toEqual([[1], [2, 3, 4, 5]]);
    expect(s.state.meta()).toMatchObject({ appliedSlot: 5, revision: 5 });
  });

  /** A host over a machine that answers each tick with the next scripted effect list, and records what it is fed. */
  async function scriptedHarness(script: ReplicaEffect[][], logStart = 1) {
    const inputs: ReplicaInput[] = [];
    const machine: ReplicaMachine = {
      step: (input) => {
        inputs.push(input);
        return input.kind === 'tick' ? (script.shift() ?? []) : [];
      },
      soft: () => ({ ...softOf(), logStart }),
      counters: () => ({ appended: 0, duplicates: 0, retransmitRequests: 0, logRequests: 0, noopsDecided: 0, viewChanges: 0, dropped: {} }),
    };
    const events: string[] = [];
    const holds: Array<() => void> = [];
    const held = (what: string) => () =>
      new Promise<void>((resolve) => {
        events.push(`${what} started`);
        holds.push(() => {
          events.push(`${what} done`);
          resolve();
        });
      });
    const { clock, time } = manualClock();
    const host = new ReplicaHost({
      machine,
      log: {
        append: (entries) => held(`append ${entries.map((e) => `${e.slot}${e.noop ? 'n' : ''}`).join(',')}`)(),
        truncateAfter: () => Promise.resolve(),
        saveView: (view) => held(`view s${view.session}`)(),
        trimBelow: (slot) => {
          events.push(`trim below ${slot}`);
          return Promise.resolve();
        },
      },
      state: {
        applyBatch: (entries, checkpoint, onResults) => {
          events.push(`${checkpoint ? 'checkpoint' : 'apply'} ${entries[0]!.slot}..${entries.at(-1)!.slot}`);
          const applied = entries.map(({ slot, session, seq, clientId, requestId }) => ({
            slot,
            session,
            seq,
            clientId,
            requestId,
            result: { type: 'barrier' as const, revision: 0 },
          }));
          onResults(applied);
          return Promise.resolve(applied);
        },
        installSnapshot: async (_records, beforeReplace) => {
          await beforeReplace();
          events.push('snapshot installed');
          return { ...INITIAL_META, appliedSlot: SNAPSHOT_SLOT, revision: SNAPSHOT_SLOT };
        },
      },
      snapshots: {
        fetch: async (from) => {
          events.push(`fetch snapshot from ${from}`);
          return { records: async function* () {}, discard: async () => void events.push('snapshot discarded') };
        },
      },
      network: { send: (_to, bytes) => void events.push(`send ${new TextDecoder().decode(bytes)}`) },
      clock,
      logger: pino({ level: 'silent' }),
      checkpointIntervalMs: CHECKPOINT_INTERVAL_MS,
      logTrimStepEntries: 512,
      onLogged: () => {},
      onDurable: () => {},
      onCommitted: () => {},
      onApplied: () => {},
      onSnapshotInstalled: () => void events.push('announced to watches'),
      onFatal: (err) => {
        throw err;
      },
    });
    /** Completes the oldest held write, and lets what follows it run. */
    const completeNext = async () => {
      holds.shift()!();
      await new Promise((resolve) => setImmediate(resolve));
    };
    return { host, inputs, events, completeNext, time };
  }

  const view = (session: number): ViewState => ({ ...BOUND_SESSION, session, lastNormalSession: session });
  const send = (text: string): ReplicaEffect => ({ kind: 'send', to: { replica: 2 }, bytes: new TextEncoder().encode(text) });
  const entry = logEntry;
  function softOf() {
    return {
      id: 1,
      status: 'normal' as const,
      view: 0,
      session: 1,
      sequencerId: 1,
      sessionBase: 0,
      leaderId: 1,
      through: 0,
      commit: 0,
      applied: 0,
      logEntries: 0,
      lastHeardSequencerMs: 0,
      caughtUp: true,
    };
  }

  it('announces a snapshot install like an apply, before the machine hears of it, so watches re-read the store', async () => {
    const { host, inputs, events } = await scriptedHarness([[{ kind: 'fetch-snapshot', from: 2 }]]);
    host.tick();
    await host.drain();
    await new Promise((resolve) => setImmediate(resolve));
    expect(events).toEqual(['fetch snapshot from 2', 'snapshot installed', 'announced to watches', 'snapshot discarded']);
    expect(inputs.at(-1)).toMatchObject({ kind: 'snapshot-installed', appliedSlot: SNAPSHOT_SLOT });
  });

  it('performs effects in the order they were produced, across view-state writes that follow one another', async () => {
    const { host, events, completeNext } = await scriptedHarness([
      [{ kind: 'persist-view', view: view(1) }, send('a')],
      [{ kind: 'persist-view', view: view(2) }, send('b')],
      [{ kind: 'persist-log', entries: [entry(1)], epoch: 0 }, send('c')],
      [{ kind: 'persist-log', entries: [entry(2)], epoch: 0 }, send('d')],
    ]);
    for (let i = 0; i < 3; i++) host.tick();
    expect(events).toEqual(['view s1 started']); // everything else waits behind the first promise
    await completeNext();
    host.tick(); // arrives while the second view-state write is pending: it must still come after 'c'
    await completeNext();
    await completeNext();
    await completeNext();
    expect(events).toEqual([
      'view s1 started',
      'view s1 done',
      'send a',
      'view s2 started',
      'view s2 done',
      'send b',
      'append 1 started',
      'send c',
      'send d',
      'append 1 done',
      'append 2 started',
      'append 2 done',
    ]);
  });

  it('never reports a slot durable while a write still queued rewrites it (a NO-OP replacing a request)', async () => {
    const { host, inputs, completeNext } = await scriptedHarness([
      [{ kind: 'persist-log', entries: [1, 2, 3, 4, 5].map((slot) => entry(slot)), epoch: 0 }],
      [{ kind: 'persist-log', entries: [entry(3, true)], epoch: 0 }],
    ]);
    host.tick(); // writes 1-5
    host.tick(); // the NO-OP at 3 queues behind that write
    await completeNext();
    const persisted = () =>
      inputs.filter((input) => input.kind === 'persisted').map((input) => (input as { throughSlot: number }).throughSlot);
    expect(persisted()).toEqual([2]);
    await completeNext();
    expect(persisted()).toEqual([2, 5]);
  });

  it('syncs one apply per checkpoint interval, the first at once, and trims the log only below the last checkpoint', async () => {
    const slots = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => entry(from + i));
    const { host, events, time } = await scriptedHarness(
      [
        [{ kind: 'apply', entries: slots(1, 600) }],
        [{ kind: 'apply', entries: slots(601, 1300) }],
        [{ kind: 'apply', entries: slots(1301, 1301) }],
      ],
      10_000,
    );
    for (let i = 0; i < 3; i++) {
      host.tick();
      await host.drain();
      await new Promise((resolve) => setImmediate(resolve));
      time.nowMs += CHECKPOINT_INTERVAL_MS / 2;
    }
    expect(events).toEqual(['checkpoint 1..600', 'trim below 601', 'apply 601..1300', 'checkpoint 1301..1301', 'trim below 1302']);
  });
});
