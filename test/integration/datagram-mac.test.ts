// Proves that with a cluster key, a forged datagram never reaches the protocol: one of the right format
// under another key, one without a tag, and one from an address outside the cluster config are each
// dropped and counted by reason in the /metrics of the sequencer and of a replica, nothing is stamped or
// appended, and the keyed cluster serves writes before and after; with stampMac, a genuine operation
// re-stamped at another seq is refused too. How: real processes on loopback; the forgeries are sent from
// stopped members' own addresses (replica 3's, then the sequencer's), built from a genuine ORDERED those
// addresses receive, so that each is one the protocol would otherwise take (docs/security.md).
import dgram from 'node:dgram';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeDatagram, encodeDatagram } from '../../src/mrtom/messages.js';
import { MessageType, type Header } from '../../src/mrtom/header.js';
import * as mac from '../../src/runtime/datagram-mac.js';
import { bindUdpSocket, closeUdpSocket } from '../../src/runtime/udp.js';
import { startTestCluster, type TestCluster } from './harness/cluster.js';
import { get, put } from './harness/http.js';
import { scrapeSeries } from './harness/metrics.js';
import { waitFor } from './harness/wait.js';

const CLUSTER_KEY = 'the datagram test cluster key, 32+ bytes';
const KEY = mac.datagramKeyOf(Buffer.from(CLUSTER_KEY));
const STAMP_KEY = mac.stampKeyOf(Buffer.from(CLUSTER_KEY));
const WRONG_CLUSTER_KEY = Buffer.from('a key this cluster does not hold, 32+ bytes');
const WRONG_KEY = mac.datagramKeyOf(WRONG_CLUSTER_KEY);
const WRONG_STAMP_KEY = mac.stampKeyOf(WRONG_CLUSTER_KEY);
const DEADLINE_MS = 15_000;
const REASONS = ['mac-mismatch', 'mac-missing', 'unknown-source'] as const;

type Counts = Record<(typeof REASONS)[number], number>;

/** A socket that keeps every datagram it receives. */
async function listen(port: number): Promise<{ socket: dgram.Socket; received: Buffer[] }> {
  const socket = await bindUdpSocket('127.0.0.1', port);
  const received: Buffer[] = [];
  socket.on('message', (bytes: Buffer) => received.push(bytes));
  return { socket, received };
}

function send(socket: dgram.Socket, bytes: Uint8Array, port: number): Promise<void> {
  return new Promise((resolve, reject) => socket.send(bytes, port, '127.0.0.1', (err) => (err ? reject(err) : resolve())));
}

async function dropsOf(baseUrl: string, metric: string): Promise<Counts> {
  const counts = {} as Counts;
  for (const reason of REASONS) counts[reason] = (await scrapeSeries(baseUrl, `${metric}{reason="${reason}"}`)) ?? Number.NaN;
  return counts;
}

async function waitForDrops(baseUrl: string, metric: string, expected: Counts): Promise<void> {
  await waitFor(
    `${baseUrl} to count ${JSON.stringify(expected)}`,
    async () => {
      const now = await dropsOf(baseUrl, metric);
      return REASONS.every((r) => now[r] >= expected[r]) ? now : undefined;
    },
    DEADLINE_MS,
  );
  expect(await dropsOf(baseUrl, metric)).toEqual(expected);
}

const plus = (counts: Counts, more: Counts): Counts => ({
  'mac-mismatch': counts['mac-mismatch'] + more['mac-mismatch'],
  'mac-missing': counts['mac-missing'] + more['mac-missing'],
  'unknown-source': counts['unknown-source'] + more['unknown-source'],
});
const ONE_EACH: Counts = { 'mac-mismatch': 1, 'mac-missing': 1, 'unknown-source': 1 };

/** `ordered` (an ORDERED without its tag) with header fields replaced. */
function rewritten(ordered: Buffer, fields: Partial<Header>): Buffer {
  const { header, body } = decodeDatagram(ordered);
  return encodeDatagram({ ...header, ...fields }, body);
}

describe.each([{ stampMac: false }, { stampMac: true }])('datagram MAC on a keyed cluster, stampMac $stampMac', ({ stampMac }) => {
  let cluster: TestCluster;
  let keyDir: string;
  beforeAll(async () => {
    keyDir = await mkdtemp(join(tmpdir(), 'mrtom-key-'));
    const keyFile = join(keyDir, 'cluster.key');
    await writeFile(keyFile, `${CLUSTER_KEY}\n`, { mode: 0o600 });
    cluster = await startTestCluster({ clusterKeyFile: keyFile, stampMac });
  });
  afterAll(async () => {
    await cluster?.stop();
    await rm(keyDir, { recursive: true, force: true });
  });

  it('drops forgeries by reason at the sequencer and a replica, and nothing reaches the log', { timeout: 120_000 }, async () => {
    const { config, urls } = cluster;
    const sequencer = config.sequencers[0]!;
    const sequencerUrl = `http://${sequencer.host}:${sequencer.metricsPort}`;
    const replica3 = config.replicas[2]!;
    const targets = [config.replicas[0]!, config.replicas[1]!];
    expect((await put(urls[0]!, 'mac/before', 'one')).status).toBe(200);

    // Replica 3's address, with replica 3 stopped: the sequencer's fan-out and notices now come here.
    await cluster.kill('replica-3');
    const asReplica3 = await listen(replica3.udpPort);
    const stranger = await bindUdpSocket('127.0.0.1', 0);
    expect((await put(urls[0]!, 'mac/captured', 'two')).status).toBe(200);
    const ordered = await waitFor(
      'an ORDERED at replica 3',
      async () => asReplica3.received.find((b) => b[3] === MessageType.ORDERED),
      DEADLINE_MS,
    );
    const notice = await waitFor(
      'a COMMIT or HEARTBEAT at replica 3',
      async () => asReplica3.received.find((b) => b[3] === MessageType.COMMIT || b[3] === MessageType.HEARTBEAT),
      DEADLINE_MS,
    );
    // The ORDERED carries its submitter's tag through the stamping (and then, with stampMac, the
    // sequencer's stamp tag), and the sequencer tags its notices.
    expect(mac.checkStampTag(STAMP_KEY, ordered)).toBe(stampMac ? null : 'mac-mismatch');
    const submitted = stampMac ? mac.stripDatagramTag(Buffer.from(ordered)) : Buffer.from(ordered);
    expect(mac.checkDatagramTag(KEY, submitted)).toBeNull();
    expect(mac.checkDatagramTag(KEY, notice)).toBeNull();
    const plain = mac.stripDatagramTag(submitted);
    const stamp = decodeDatagram(plain).header;

    // At the sequencer: a REQUEST under another key and an untagged ACK from replica 3's address, and a
    // correctly tagged REQUEST from an address outside the config.
    const request = rewritten(plain, {
      type: MessageType.REQUEST,
      session: 0,
      view: 0,
      seq: 0,
      commit: 0,
      incarnation: 0,
      requestId: stamp.requestId + 1000,
    });
    const ack = encodeDatagram({ ...stamp, type: MessageType.ACK, commit: 0, requestId: 0, sender: replica3.id });
    const sequencerDrops = await dropsOf(sequencerUrl, 'mrtom_sequencer_datagrams_dropped_total');
    const stamped = await scrapeSeries(sequencerUrl, 'mrtom_sequencer_stamped_total');
    await send(asReplica3.socket, mac.signDatagram(WRONG_KEY, request), sequencer.port);
    await send(asReplica3.socket, ack, sequencer.port);
    await send(stranger, mac.signDatagram(KEY, request), sequencer.port);
    await waitForDrops(sequencerUrl, 'mrtom_sequencer_datagrams_dropped_total', plus(sequencerDrops, ONE_EACH));
    expect(await scrapeSeries(sequencerUrl, 'mrtom_sequencer_stamped_total')).toBe(stamped);

    // At the replicas, from the sequencer's address with the sequencer stopped (within the second before
    // the leader gives up on it): the next seq of the session under another key, an untagged COMMIT for
    // it, and that seq correctly tagged (the genuine submitter tag) from an address outside the config;
    // with stampMac also from the sequencer's address: without it, that is the re-stamping which the
    // submitter's tag cannot refuse (docs/security.md).
    await cluster.kill('sequencer-1');
    const asSequencer = await listen(sequencer.port);
    const next = rewritten(plain, { seq: stamp.seq + 1 });
    const restamped = mac.signDatagram(KEY, next);
    const forged = stampMac ? mac.signStamp(WRONG_STAMP_KEY, mac.signDatagram(WRONG_KEY, next)) : mac.signDatagram(WRONG_KEY, next);
    const commit = encodeDatagram({
      ...stamp,
      type: MessageType.COMMIT,
      seq: stamp.seq + 1,
      commit: stamp.seq + 1,
      requestId: 0,
      sender: 0,
    });
    const before = await Promise.all(
      targets.map(async (r, i) => ({
        drops: await dropsOf(urls[i]!, 'mrtom_replica_datagrams_dropped_total'),
        appended: await scrapeSeries(urls[i]!, 'mrtom_replica_appended_total'),
        applied: await scrapeSeries(urls[i]!, 'mrtom_replica_applied_slot'),
        port: r.udpPort,
      })),
    );
    for (const { port } of before) {
      await send(asSequencer.socket, forged, port);
      await send(asSequencer.socket, commit, port);
      await send(stranger, stampMac ? mac.signStamp(STAMP_KEY, restamped) : restamped, port);
      if (stampMac) await send(asSequencer.socket, restamped, port);
    }
    const expected = stampMac ? { ...ONE_EACH, 'mac-mismatch': 2 } : ONE_EACH;
    for (const [i, b] of before.entries()) {
      await waitForDrops(urls[i]!, 'mrtom_replica_datagrams_dropped_total', plus(b.drops, expected));
      expect(await scrapeSeries(urls[i]!, 'mrtom_replica_appended_total')).toBe(b.appended);
      expect(await scrapeSeries(urls[i]!, 'mrtom_replica_applied_slot')).toBe(b.applied);
    }

    // The members come back and the keyed cluster serves writes again, none of the forgeries among them.
    await closeUdpSocket(stranger);
    await closeUdpSocket(asSequencer.socket);
    await closeUdpSocket(asReplica3.socket);
    cluster.start('sequencer-1');
    cluster.start('replica-3');
    await cluster.waitReady();
    await waitFor(
      'a write after the forgeries',
      async () => ((await put(urls[1]!, 'mac/after', 'three').catch(() => null))?.status === 200 ? true : undefined),
      30_000,
    );
    for (const url of urls) {
      await waitFor(`mac/after on ${url}`, async () => ((await get(url, 'mac/after')).status === 200 ? true : undefined), DEADLINE_MS);
      expect((await get(url, 'mac/captured')).body.toString()).toBe('two');
    }
  });
});
