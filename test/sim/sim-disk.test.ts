// The simulated disk must be honest about durability, or the simulator would hide exactly the bugs it
// exists to find: a synced write survives a crash once it completes, an unsynced one only once the OS
// flushed it (or a later synced write did), writes complete in issue order, and a crashed process's
// unfinished writes never land. How: the production store (src/store) opened on the disk, crashed and
// reopened.
import { describe, expect, it } from 'vitest';
import type { LogEntry } from '../../src/consensus/log-entry.js';
import { encodeOpRequest } from '../../src/store/ops.js';
import { openReplicaStore, type ReplicaStore } from '../../src/store/replica-store.js';
import type { Durability } from '../../src/config/cluster.js';
import { Prng } from './prng.js';
import { Scheduler } from './scheduler.js';
import { SimDisk } from './sim-disk.js';

const TIMING = { writeMsMin: 1, writeMsMax: 2, osFlushIntervalMs: 50 };

function entry(slot: number): LogEntry {
  const body = encodeOpRequest({
    floor: slot - 1,
    ops: [{ requestId: slot, op: { type: 'put', key: `k${slot}`, value: new Uint8Array([slot]) } }],
  });
  return { slot, session: 1, seq: slot, view: 0, clientId: 9, requestId: slot, body, noop: false };
}

async function harness(durability: Durability) {
  const scheduler = new Scheduler();
  const disk = new SimDisk(scheduler, new Prng(1), TIMING);
  const open = async (): Promise<ReplicaStore> => {
    let store: ReplicaStore | null = null;
    void openReplicaStore(disk.open(), { durability }).then((opened) => (store = opened));
    await scheduler.runUntil(scheduler.nowMs + 10);
    return store!;
  };
  /** Starts `write`, lets simulated time pass, and says whether it finished. */
  const run = async (write: Promise<unknown>, forMs: number): Promise<boolean> => {
    let done = false;
    void write.then(() => (done = true));
    await scheduler.runUntil(scheduler.nowMs + forMs);
    return done;
  };
  return { scheduler, disk, open, run };
}

describe('SimDisk under the production store', () => {
  it('fsync: an apply and a log write survive a crash once they completed, and not before', async () => {
    const { disk, open, run } = await harness('fsync');
    const store = await open();
    expect(await run(store.log.append([entry(1), entry(2)]), 5)).toBe(true);
    expect(await run(store.state.applyBatch([entry(1)]), 5)).toBe(true);
    const late = store.state.applyBatch([entry(2)]);
    disk.crash(); // before the second apply completed
    const after = await open();
    expect(after.state.meta().appliedSlot).toBe(1);
    expect((await after.log.load()).map((e) => e.slot)).toEqual([1, 2]);
    let lateDone = false;
    void late.then(() => (lateDone = true));
    expect(await run(Promise.resolve(), 20)).toBe(true);
    expect(lateDone).toBe(false); // a dead process's write never completes
  });

  it('async: completed writes are lost by a crash until the OS flushes them, or a synced write follows', async () => {
    const { disk, open, run, scheduler } = await harness('async');
    const store = await open();
    expect(await run(store.log.append([entry(1)]), 5)).toBe(true);
    disk.crash();
    expect((await (await open()).log.load()).length).toBe(0);

    const again = await open();
    await run(again.log.append([entry(1)]), 5);
    await scheduler.runUntil(scheduler.nowMs + TIMING.osFlushIntervalMs);
    disk.crash();
    expect((await (await open()).log.load()).map((e) => e.slot)).toEqual([1]);

    const third = await open();
    await run(third.log.append([entry(2)]), 5);
    // The view state is always synced, and a synced write carries everything before it to disk.
    await run(
      third.log.saveView({
        view: 0,
        session: 1,
        sequencerId: 1,
        sequencerIncarnation: 0,
        sessionBase: 0,
        lastNormalView: 0,
        lastNormalSession: 1,
      }),
      5,
    );
    disk.crash();
    const fourth = await open();
    expect((await fourth.log.load()).map((e) => e.slot)).toEqual([1, 2]);
    expect(fourth.log.viewState()).toMatchObject({ session: 1 });
  });

  it('completes writes in the order they were issued, and makes each visible only then', async () => {
    const { open, scheduler } = await harness('fsync');
    const store = await open();
    const order: number[] = [];
    for (const slot of [1, 2, 3]) void store.log.append([entry(slot)]).then(() => order.push(slot));
    expect((await store.log.load()).length).toBe(0);
    await scheduler.runUntil(scheduler.nowMs + 20);
    expect(order).toEqual([1, 2, 3]);
    expect((await store.log.load()).map((e) => e.slot)).toEqual([1, 2, 3]);
  });
});
