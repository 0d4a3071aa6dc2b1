// The promise invariants (promises.ts) against a disk the production log wrote: an ACK of what is on disk
// and a vote in the view on disk pass; an ACK of a seq not yet durable, of a NO-OP the disk holds as a
// request, or bound to a sequencer the disk does not bind, and a vote for a view beyond the disk's, are
// violations. Fetching messages (LOG_REQUEST) promise nothing and pass.
import { describe, expect, it } from 'vitest';
import type { LogEntry } from '../../src/consensus/log-entry.js';
import { logEntry } from '../unit/consensus/fixtures.js';
import { encodePeerMessage } from '../../src/consensus/peer-messages.js';
import { MessageType } from '../../src/mrtom/header.js';
import { encodeDatagram, encodeNoopsBody } from '../../src/mrtom/messages.js';
import { openReplicaStore } from '../../src/store/replica-store.js';
import { InvariantViolation } from './invariants.js';
import { Prng } from './prng.js';
import { PromiseInvariants } from './promises.js';
import { Scheduler } from './scheduler.js';
import { SimDisk } from './sim-disk.js';

const BOUND = 42;
const entry = logEntry;
const ack = (through: number, noops: number[] = [], incarnation = BOUND) =>
  encodeDatagram(
    { type: MessageType.ACK, group: 1, session: 1, view: 0, seq: through, commit: 0, requestId: 0, sender: 1, incarnation },
    encodeNoopsBody({ noops }),
  );

async function diskHolding(entries: LogEntry[]) {
  const scheduler = new Scheduler();
  const disk = new SimDisk(scheduler, new Prng(1), { writeMsMin: 1, writeMsMax: 1, osFlushIntervalMs: 1_000 }, true);
  void openReplicaStore(disk.open(), { durability: 'fsync' }).then(async (store) => {
    await store.log.saveView({
      view: 0,
      session: 1,
      sequencerId: 1,
      sequencerIncarnation: BOUND,
      sessionBase: 0,
      lastNormalView: 0,
      lastNormalSession: 1,
    });
    await store.log.append(entries);
  });
  await scheduler.runUntil(10);
  return new PromiseInvariants(new Map([[1, disk]]), 'fsync');
}

function violation(run: () => void): string {
  try {
    run();
  } catch (err) {
    if (err instanceof InvariantViolation) return err.message;
    throw err;
  }
  return 'none';
}

describe('PromiseInvariants', () => {
  it('passes ACKs of what is on disk, NO-OPs included, and votes in the view on disk', async () => {
    const promises = await diskHolding([entry(1), entry(2, true), entry(3)]);
    expect(violation(() => promises.onSend(1, ack(3, [2])))).toBe('none');
    const vote = encodePeerMessage(MessageType.VIEW_CHANGE_REQUEST, { group: 1, view: 0, session: 1, sender: 1 });
    expect(violation(() => promises.onSend(1, vote))).toBe('none');
  });

  it('catches an ACK of a seq not on disk, of a NO-OP held as a request, and of another sequencer binding', async () => {
    const promises = await diskHolding([entry(1), entry(2)]);
    expect(violation(() => promises.onSend(1, ack(3)))).toMatch(/ACKed s1 through seq 3, but its disk holds nothing at slot 3/);
    expect(violation(() => promises.onSend(1, ack(2, [2])))).toMatch(/with seq 2 a NO-OP, but its disk holds s1\/q2 at slot 2/);
    expect(violation(() => promises.onSend(1, ack(2, [], BOUND + 1)))).toMatch(/bound to sequencer 43, but its disk binds 42/);
  });

  it('catches a vote for a view beyond the one on disk, and lets a LOG_REQUEST through', async () => {
    const promises = await diskHolding([]);
    const ahead = { group: 1, view: 1, session: 2, sender: 1 };
    expect(violation(() => promises.onSend(1, encodePeerMessage(MessageType.VIEW_CHANGE, ahead, {})))).toMatch(
      /sent VIEW_CHANGE in view 1 session 2, but its disk holds view 0 session 1/,
    );
    const fetch = encodePeerMessage(MessageType.LOG_REQUEST, ahead, { fromSlot: 1, toSlot: 2, sessionBase: 0 });
    expect(violation(() => promises.onSend(1, fetch))).toBe('none');
  });
});
