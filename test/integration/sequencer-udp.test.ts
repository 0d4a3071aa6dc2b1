// Proves the userspace sequencer works over real UDP on 127.0.0.1: it serves nothing until the leader's
// SESSION_START, then REQUESTs come back as ORDERED with the same seqs at three socket "replicas", leader+1
// acks yield a COMMIT notice, and garbage is counted, not fatal.
import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import type { ClusterConfig } from '../../src/config/cluster.js';
import { MessageType, type Header } from '../../src/mrtom/header.js';
import { decodeDatagram, encodeNoopsBody, encodeDatagram } from '../../src/mrtom/messages.js';
import { startSequencerNode, type SequencerNode } from '../../src/runtime/sequencer-node.js';

const HOST = '127.0.0.1';
const GROUP = 11;
const SESSION = 2;
const WAIT_MS_MAX = 5_000;
const POLL_INTERVAL_MS = 5;

/** A real socket standing in for a replica: the edge of the world for this test. */
interface FakeReplica {
  id: number;
  socket: dgram.Socket;
  port: number;
  received: Header[];
}

async function bindSocket(): Promise<dgram.Socket> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, HOST, resolve));
  return socket;
}

async function freePort(): Promise<number> {
  const socket = await bindSocket();
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(resolve));
  return port;
}

async function waitFor(what: string, condition: () => boolean): Promise<void> {
  const deadline = Date.now() + WAIT_MS_MAX;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${WAIT_MS_MAX} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
}

function header(fields: Partial<Header> & Pick<Header, 'type'>): Header {
  return { group: GROUP, session: 0, view: 0, seq: 0, commit: 0, requestId: 0, sender: 0, ...fields };
}

describe('userspace sequencer over UDP', () => {
  const sockets: dgram.Socket[] = [];
  let sequencer: SequencerNode | undefined;

  afterEach(async () => {
    await sequencer?.close();
    await Promise.all(sockets.splice(0).map((s) => new Promise<void>((resolve) => s.close(resolve))));
  });

  it('orders, fans out, commits on leader+1 acks, and survives garbage', async () => {
    const replicas: FakeReplica[] = [];
    for (const id of [1, 2, 3]) {
      const socket = await bindSocket();
      sockets.push(socket);
      const replica: FakeReplica = { id, socket, port: socket.address().port, received: [] };
      socket.on('message', (bytes) => replica.received.push(decodeDatagram(bytes).header));
      replicas.push(replica);
    }
    const config: ClusterConfig = {
      group: GROUP,
      replicas: replicas.map((r) => ({ id: r.id, host: HOST, udpPort: r.port, httpPort: 1, dataDir: `r${r.id}` })),
      sequencers: [{ id: 1, host: HOST, port: await freePort() }],
      durability: 'memory',
      datagramBytesMax: 1400,
      ringCapacity: 1024,
    };
    sequencer = await startSequencerNode({ config, sequencerId: 1, logger: pino({ level: 'silent' }) });
    const { port } = sequencer.address;
    const send = (from: FakeReplica | dgram.Socket, bytes: Uint8Array): void =>
      ('socket' in from ? from.socket : from).send(bytes, port, HOST);
    const ordered = (r: FakeReplica): Header[] => r.received.filter((h) => h.type === MessageType.ORDERED);

    const [leader, follower, third] = replicas as [FakeReplica, FakeReplica, FakeReplica];
    const heartbeats = (r: FakeReplica): Header[] => r.received.filter((h) => h.type === MessageType.HEARTBEAT);

    // Without a session a REQUEST is dropped, and nothing is announced.
    send(follower, encodeDatagram(header({ type: MessageType.REQUEST, sender: 900, requestId: 99 }), new Uint8Array([99])));
    await waitFor('the session-less REQUEST counted', () => sequencer!.counters().dropped['no-session'] === 1);
    expect(replicas.every((r) => r.received.length === 0)).toBe(true);

    // The leader of view 0 (replica 1) gives the sequencer its session; a HEARTBEAT of it reaches everyone.
    send(leader, encodeDatagram(header({ type: MessageType.SESSION_START, sender: leader.id, session: SESSION })));
    await waitFor('a HEARTBEAT of the session at every replica', () =>
      replicas.every((r) => heartbeats(r).some((h) => h.session === SESSION)),
    );
    expect(sequencer.counters().sessionStarts).toBe(1);
    for (let requestId = 1; requestId <= 5; requestId += 1) {
      send(follower, encodeDatagram(header({ type: MessageType.REQUEST, sender: 900, requestId }), new Uint8Array([requestId])));
    }
    await waitFor('5 ORDERED at every replica', () => replicas.every((r) => ordered(r).length >= 5));
    // seq → requestId as one replica saw it; a resent copy must agree with the first.
    const orderAt = (r: FakeReplica): [number, number][] => {
      const requestBySeq = new Map<number, number>();
      for (const h of ordered(r)) {
        expect(requestBySeq.get(h.seq) ?? h.requestId).toBe(h.requestId);
        requestBySeq.set(h.seq, h.requestId);
      }
      return [...requestBySeq].sort((a, b) => a[0] - b[0]);
    };
    expect(orderAt(leader).map(([seq]) => seq)).toEqual([1, 2, 3, 4, 5]);
    // Total order: every replica sees the same request at the same seq, all in this session.
    expect(orderAt(follower)).toEqual(orderAt(leader));
    expect(orderAt(third)).toEqual(orderAt(leader));
    expect(ordered(third).every((h) => h.session === SESSION)).toBe(true);

    // Replicas ack as bound to the incarnation that stamped what they hold (every stamp carries it).
    const incarnation = ordered(leader)[0]!.incarnation;
    expect(incarnation).toBeGreaterThan(0);
    expect(replicas.every((r) => ordered(r).every((h) => h.incarnation === incarnation))).toBe(true);
    const ackFrom = (r: FakeReplica, through: number): Uint8Array =>
      encodeDatagram(
        header({ type: MessageType.ACK, sender: r.id, session: SESSION, seq: through, incarnation }),
        encodeNoopsBody({ noops: [] }),
      );
    send(leader, ackFrom(leader, 5));
    send(follower, ackFrom(follower, 4));
    const commitAt = (r: FakeReplica): number =>
      Math.max(0, ...r.received.filter((h) => h.type === MessageType.COMMIT).map((h) => h.commit));
    await waitFor('COMMIT 4 at every replica', () => replicas.every((r) => commitAt(r) === 4));

    const stranger = await bindSocket();
    sockets.push(stranger);
    send(third, new Uint8Array([0xde, 0xad, 0xbe, 0xef]));
    send(stranger, encodeDatagram(header({ type: MessageType.REQUEST, sender: 901, requestId: 1 })));
    await waitFor('garbage and the stranger counted', () => {
      const { dropped } = sequencer!.counters();
      return dropped.malformed === 1 && dropped['unknown-source'] === 1;
    });

    send(third, encodeDatagram(header({ type: MessageType.REQUEST, sender: 902, requestId: 6 })));
    await waitFor('seq 6 at every replica', () => replicas.every((r) => ordered(r).some((h) => h.seq === 6 && h.requestId === 6)));
    expect(sequencer.counters()).toMatchObject({ stamped: 6, ordersSent: 18, commitNotices: 1, sendErrors: 0 });
  });
});
