// Proves the runtime driver performs a replica's effects against a real LevelDB store in order — the view
// state is written before the messages that depend on it are sent — and that drain() returns once the
// writes are done, even after effects queued up behind a view-state write (a stuck gate hung shutdown).
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { createReplica } from '../../../src/consensus/replica.js';
import type { Peer } from '../../../src/consensus/types.js';
import { ReplicaDriver } from '../../../src/runtime/replica-driver.js';
import { PROTOCOL_TIMING } from '../../../src/runtime/timing.js';
import { KvStore } from '../../../src/store/kv-store.js';
import { MessageType } from '../../../src/mrtom/header.js';
import { decodeDatagram } from '../../../src/mrtom/messages.js';

describe('ReplicaDriver', () => {
  let dir = '';
  let store: KvStore | undefined;
  afterEach(async () => {
    await store?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('writes the view state before sending, and drains after effects queued behind it', async () => {
    dir = await mkdtemp(join(tmpdir(), 'mrtom-driver-'));
    store = await KvStore.open(dir, { durability: 'fsync' });
    const s = store;
    const state = createReplica(
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
      { viewState: null, appliedSlot: 0, log: [], nowMs: 0, stateLost: false },
    );
    const sent: Array<{ to: Peer; type: MessageType; viewSaved: boolean }> = [];
    const driver = new ReplicaDriver({
      state,
      store: s,
      logger: pino({ level: 'silent' }),
      send: (to, bytes) => sent.push({ to, type: decodeDatagram(bytes).header.type, viewSaved: s.viewState() !== null }),
      onApplied: () => {},
      onFatal: (err) => {
        throw err;
      },
      fetchSnapshot: () => Promise.reject(new Error('not expected')),
      nowMs: () => 10,
    });
    driver.step({ kind: 'tick', nowMs: 10 }); // the first leader starts session 1: persist-view, then votes
    driver.step({ kind: 'tick', nowMs: 200 }); // a resend, queued behind the view-state write
    expect(sent).toEqual([]); // nothing leaves before the promise is on disk
    await driver.drain();
    expect(s.viewState()).toMatchObject({ view: 0, session: 1 });
    expect(sent.length).toBeGreaterThanOrEqual(2);
    expect(sent.every((m) => m.viewSaved && m.type === MessageType.VIEW_CHANGE_REQUEST)).toBe(true);
  });
});
