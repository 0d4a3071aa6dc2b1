// The simulated disk must be honest about durability, or the simulator would hide exactly the bugs it
// exists to find: fsync keeps what completed, async keeps only what the OS flushed, memory keeps nothing,
// and a crash drops queued writes without running their callbacks.
import { describe, expect, it } from 'vitest';
import type { Durability } from '../../src/config/cluster.js';
import type { LogEntry } from '../../src/consensus/log-entry.js';
import { SimDisk } from './disk.js';
import { Prng } from './prng.js';
import { Scheduler } from './scheduler.js';
import { applyToState, emptyAppliedState } from './sim-store.js';
import { encodeOpRequest } from '../../src/store/ops.js';

const TIMING = { writeMsMin: 1, writeMsMax: 2, osFlushIntervalMs: 50 };

function entry(slot: number): LogEntry {
  const body = encodeOpRequest({ floor: slot - 1, op: { type: 'put', key: 'k', value: new Uint8Array([slot]) } });
  return { slot, session: 1, seq: slot, view: 0, clientId: 9, requestId: slot, body, noop: false };
}

function harness(durability: Durability) {
  const scheduler = new Scheduler();
  const disk = new SimDisk(durability, scheduler, new Prng(1), TIMING);
  return { scheduler, disk };
}

const VIEW = { view: 1, session: 2, sequencerId: 1, sequencerIncarnation: 0, sessionBase: 5, lastNormalView: 1, lastNormalSession: 2 };

describe('SimDisk', () => {
  it('fsync: a write is durable once it completes, and its callback runs then', () => {
    const { scheduler, disk } = harness('fsync');
    let done = false;
    disk.write({ kind: 'log', entries: [entry(1), entry(2)] }, () => (done = true));
    disk.write({ kind: 'view', view: VIEW }, () => {});
    expect(disk.image().log).toHaveLength(0);
    scheduler.runUntil(10);
    expect(done).toBe(true);
    expect(disk.image().log.map((e) => e.slot)).toEqual([1, 2]);
    expect(disk.image().viewState).toEqual(VIEW);
  });

  it('fsync: a crash before completion loses the write and silences its callback', () => {
    const { scheduler, disk } = harness('fsync');
    let done = false;
    disk.write({ kind: 'log', entries: [entry(1)] }, () => (done = true));
    disk.crash();
    scheduler.runUntil(10);
    expect(done).toBe(false);
    expect(disk.image().log).toHaveLength(0);
  });

  it('fsync: truncation removes entries above the slot, in queue order with later writes', () => {
    const { scheduler, disk } = harness('fsync');
    disk.write({ kind: 'log', entries: [entry(1), entry(2), entry(3)] }, () => {});
    disk.write({ kind: 'truncate-log', afterSlot: 1 }, () => {});
    disk.write({ kind: 'log', entries: [{ ...entry(2), requestId: 99 }] }, () => {});
    scheduler.runUntil(10);
    expect(disk.image().log.map((e) => [e.slot, e.requestId])).toEqual([
      [1, 1],
      [2, 99],
    ]);
  });

  it('async: completed writes are lost by a crash until the OS flushes them', () => {
    const { scheduler, disk } = harness('async');
    let done = false;
    disk.write({ kind: 'log', entries: [entry(1)] }, () => (done = true));
    scheduler.runUntil(10);
    expect(done).toBe(true);
    expect(disk.image().log).toHaveLength(0);
    scheduler.runUntil(60);
    expect(disk.image().log.map((e) => e.slot)).toEqual([1]);
    disk.write({ kind: 'log', entries: [entry(2)] }, () => {});
    scheduler.runUntil(70);
    disk.crash();
    scheduler.runUntil(200);
    expect(disk.image().log.map((e) => e.slot)).toEqual([1]);
  });

  it('async: applied state survives only up to the last OS flush', () => {
    const { scheduler, disk } = harness('async');
    const first = applyToState(emptyAppliedState(), [entry(1)]).state;
    disk.saveApplied(first);
    scheduler.runUntil(60);
    disk.saveApplied(applyToState(first, [entry(2)]).state);
    scheduler.runUntil(70);
    disk.crash();
    expect(disk.image().applied.meta.appliedSlot).toBe(1);
  });

  it('fsync keeps every apply; memory keeps only the view state, and reports its state lost', () => {
    const fsync = harness('fsync');
    const memory = harness('memory');
    const state = applyToState(emptyAppliedState(), [entry(1)]).state;
    for (const { disk, scheduler } of [fsync, memory]) {
      disk.saveApplied(state);
      disk.write({ kind: 'log', entries: [entry(1)] }, () => {});
      disk.write({ kind: 'view', view: VIEW }, () => {});
      scheduler.runUntil(500);
      disk.crash();
    }
    expect(fsync.disk.image()).toMatchObject({ viewState: VIEW, stateLost: false });
    expect(fsync.disk.image().applied.meta.appliedSlot).toBe(1);
    expect(memory.disk.image()).toEqual({ viewState: VIEW, log: [], applied: emptyAppliedState(), stateLost: true });
  });

  it('syncs the view state in every mode as soon as its write completes, and not before', () => {
    for (const durability of ['async', 'memory'] as const) {
      const completed = harness(durability);
      completed.disk.write({ kind: 'view', view: VIEW }, () => {});
      completed.scheduler.runUntil(10);
      completed.disk.crash();
      expect(completed.disk.image().viewState).toEqual(VIEW);
      const queued = harness(durability);
      queued.disk.write({ kind: 'view', view: VIEW }, () => {});
      queued.disk.crash();
      expect(queued.disk.image().viewState).toBeNull();
    }
  });

  it('a snapshot install replaces log and state when it completes, and loses everything if it does not', () => {
    const { scheduler, disk } = harness('fsync');
    disk.write({ kind: 'log', entries: [entry(1), entry(2)] }, () => {});
    scheduler.runUntil(10);
    const snapshot = applyToState(emptyAppliedState(), [entry(1), entry(2), entry(3)]).state;
    disk.beginInstall();
    expect(disk.image()).toMatchObject({ log: [], stateLost: true });
    disk.completeInstall(snapshot);
    expect(disk.image()).toMatchObject({ log: [], stateLost: false });
    expect(disk.image().applied.meta.appliedSlot).toBe(3);
    disk.beginInstall();
    disk.crash();
    expect(disk.image()).toMatchObject({ log: [], stateLost: true, applied: emptyAppliedState() });
  });

  it('group-commits: writes queued while one is in flight complete together, in order', () => {
    const { scheduler, disk } = harness('fsync');
    const done: string[] = [];
    disk.write({ kind: 'log', entries: [entry(1)] }, () => done.push(`a@${scheduler.nowMs}`));
    disk.write({ kind: 'log', entries: [entry(2)] }, () => done.push(`b@${scheduler.nowMs}`));
    disk.write({ kind: 'log', entries: [entry(3)] }, () => done.push(`c@${scheduler.nowMs}`));
    scheduler.runUntil(10);
    expect(done.map((d) => d[0])).toEqual(['a', 'b', 'c']);
    // a is its own batch; b and c were queued behind it and finish in one later batch.
    expect(done[1]!.slice(2)).toBe(done[2]!.slice(2));
    expect(Number(done[1]!.slice(2))).toBeGreaterThan(Number(done[0]!.slice(2)));
  });
});
