// The simulated disk must be honest about durability, or the simulator would hide exactly the bugs it
// exists to find: a synced write survives a crash once it completes, an unsynced one only once the OS
// flushed it (a synced write to another file does not carry it), writes complete in issue order, a crashed
// process's unfinished writes never land — except part of the first log write lost, which the log must
// cut off at the next open. How: the production store (src/store) opened on the disk, crashed and reopened.
import { describe, expect, it } from 'vitest';
import type { LogEntry } from '../../src/consensus/log-entry.js';
import { encodeOpRequest } from '../../src/store/ops.js';
import { openReplicaStore, type ReplicaStore } from '../../src/store/replica-store.js';
import type { Durability } from '../../src/config/cluster.js';
import { Prng } from './prng.js';
import { Scheduler } from './scheduler.js';
import { SimDisk } from './sim-disk.js';

const TIMING = { writeMsMin: 1, writeMsMax: 2, osFlushIntervalMs: 50 };
const SEGMENT_BYTES = 4096;

function entry(slot: number, valueBytes = 1): LogEntry {
  const body = encodeOpRequest({
    floor: slot - 1,
    ops: [{ requestId: slot, op: { type: 'put', key: `k${slot}`, value: new Uint8Array(valueBytes).fill(slot) } }],
  });
  return { slot, session: 1, seq: slot, view: 0, clientId: 9, requestId: slot, body, noop: false };
}

async function harness(durability: Durability, seed = 1) {
  const scheduler = new Scheduler();
  const disk = new SimDisk(scheduler, new Prng(seed), TIMING, durability === 'fsync');
  const open = async (): Promise<ReplicaStore> => {
    let store: ReplicaStore | null = null;
    void openReplicaStore(disk.open(), { durability, walSegmentBytes: SEGMENT_BYTES }).then((opened) => (store = opened));
    await scheduler.runUntil(scheduler.nowMs + 20);
    return store!;
  };
  /** Starts `write`, lets simulated time pass, and says whether it finished. */
  const run = async (write: Promise<unknown>, forMs: number): Promise<boolean> => {
    let done = false;
    void write.then(() => (done = true));
    await scheduler.runUntil(scheduler.nowMs + forMs);
    return done;
  };
  const slotsAfterCrash = async (): Promise<number[]> => {
    disk.crash();
    return (await (await open()).log.load()).map((e) => e.slot);
  };
  return { scheduler, disk, open, run, slotsAfterCrash };
}

const VIEW = { view: 0, session: 1, sequencerId: 1, sequencerIncarnation: 0, sessionBase: 0, lastNormalView: 0, lastNormalSession: 1 };

describe('SimDisk under the production store', () => {
  it('fsync: a log write survives a crash once it completed; an apply only once checkpointed or flushed', async () => {
    const { disk, open, run } = await harness('fsync');
    const store = await open();
    expect(await run(store.log.append([entry(1), entry(2), entry(3)]), 5)).toBe(true);
    expect(await run(store.state.applyBatch([entry(1)], true), 5)).toBe(true);
    expect(await run(store.state.applyBatch([entry(2)], false), 5)).toBe(true);
    const late = store.state.applyBatch([entry(3)], true);
    disk.crash(); // the unsynced apply of 2 was not flushed yet; the checkpoint of 3 had not completed
    const after = await open();
    expect(after.state.meta().appliedSlot).toBe(1);
    expect((await after.log.load()).map((e) => e.slot)).toEqual([1, 2, 3]);
    let lateDone = false;
    void late.then(() => (lateDone = true));
    expect(await run(Promise.resolve(), 20)).toBe(true);
    expect(lateDone).toBe(false); // a dead process's write never completes
  });

  it('async: completed log writes are lost by a crash until the OS flushes them; a synced database write does not carry them', async () => {
    const { open, run, scheduler, slotsAfterCrash } = await harness('async');
    const store = await open();
    expect(await run(store.log.append([entry(1)]), 5)).toBe(true);
    expect(await slotsAfterCrash()).toEqual([]);

    const again = await open();
    await run(again.log.append([entry(1)]), 5);
    await scheduler.runUntil(scheduler.nowMs + TIMING.osFlushIntervalMs);
    expect(await slotsAfterCrash()).toEqual([1]);

    const third = await open();
    await run(third.log.append([entry(2)]), 5);
    await run(third.log.saveView(VIEW), 5); // synced, but in the database's file
    expect(await slotsAfterCrash()).toEqual([1]);
    expect((await open()).log.viewState()).toMatchObject({ session: 1 });
  });

  it('completes writes in the order they were issued', async () => {
    const { open, scheduler, slotsAfterCrash } = await harness('fsync');
    const store = await open();
    const order: number[] = [];
    for (const slot of [1, 2, 3]) void store.log.append([entry(slot)]).then(() => order.push(slot));
    await scheduler.runUntil(scheduler.nowMs + 20);
    expect(order).toEqual([1, 2, 3]);
    expect(await slotsAfterCrash()).toEqual([1, 2, 3]);
  });

  it('tears the write in flight at a crash for some seeds; the reopened log cuts it and appends cleanly after', async () => {
    let torn = 0;
    for (let seed = 1; seed <= 12; seed++) {
      const { disk, open, run, scheduler, slotsAfterCrash } = await harness('fsync', seed);
      const store = await open();
      await run(store.log.append([entry(1)]), 5);
      void store.log.append([entry(2, 1500)]);
      await scheduler.runUntil(scheduler.nowMs + 0.5); // issued, not complete
      disk.crash();
      const reopened = await open();
      if (reopened.log.tornBytes > 0) torn += 1;
      expect((await reopened.log.load()).map((e) => e.slot)).toEqual([1]);
      expect(await run(reopened.log.append([entry(2)]), 5)).toBe(true);
      expect(await slotsAfterCrash()).toEqual([1, 2]);
    }
    expect(torn).toBeGreaterThan(0);
  });
});
