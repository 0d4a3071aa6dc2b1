// Proves that random, truncated and foreign datagrams, sent over real UDP at the sequencer and at a
// replica, are dropped and counted by reason (visible in /metrics) while the cluster keeps serving writes.
// Garbage "from a replica" is sent from that replica's own address while it is stopped.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import dgram from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { startTestCluster, type TestCluster } from './harness/cluster.js';
import { get, http, put } from './harness/http.js';
import { bindUdpSocket, closeUdpSocket } from '../../src/runtime/udp.js';
import { encodeDatagram } from '../../src/mrtom/messages.js';
import { MessageType } from '../../src/mrtom/header.js';

const GARBAGE_DATAGRAMS = 300;

function garbage(group: number): Uint8Array[] {
  const wellFormed = (type: MessageType, g = group): Uint8Array =>
    encodeDatagram({ type, group: g, session: 1, view: 0, seq: 1, commit: 0, requestId: 1, sender: 3 }, new Uint8Array([1, 2]));
  const out: Uint8Array[] = [];
  for (let i = 0; i < GARBAGE_DATAGRAMS; i++) out.push(randomBytes(1 + (i % 200)));
  out.push(wellFormed(MessageType.REQUEST).subarray(0, 20)); // truncated
  out.push(wellFormed(MessageType.ACK, group + 1)); // another group
  out.push(wellFormed(MessageType.ORDERED)); // a type the sequencer never accepts
  out.push(wellFormed(MessageType.ACK).subarray(0, 49)); // body length lies
  return out;
}

async function sendAll(socket: dgram.Socket, datagrams: Uint8Array[], port: number): Promise<void> {
  for (const d of datagrams) await new Promise<void>((resolve) => socket.send(d, port, '127.0.0.1', () => resolve()));
}

/** Sum of a Prometheus counter's samples whose labels contain `labelFilter`. */
function metricSum(text: string, name: string, labelFilter = ''): number {
  return text
    .split('\n')
    .filter((line) => line.startsWith(name) && line.includes(labelFilter))
    .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
}

describe('bad datagrams', () => {
  let cluster: TestCluster;
  beforeAll(async () => {
    cluster = await startTestCluster();
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('are dropped and counted while the cluster keeps serving', async () => {
    const { config, urls } = cluster;
    const sequencer = config.sequencers[0]!;
    const replica3 = config.replicas[2]!;
    const datagrams = garbage(config.group);

    const foreign = await bindUdpSocket('127.0.0.1', 0);
    await sendAll(foreign, datagrams, sequencer.port);
    await sendAll(foreign, datagrams, config.replicas[0]!.udpPort);
    await closeUdpSocket(foreign);

    // Malformed datagrams from a known replica address exercise the decoder, not just the source check.
    await cluster.kill('replica-3');
    const spoofed = await bindUdpSocket('127.0.0.1', replica3.udpPort);
    await sendAll(spoofed, datagrams, sequencer.port);
    await closeUdpSocket(spoofed);
    cluster.start('replica-3');
    await cluster.waitReady();

    for (let i = 0; i < 20; i++) {
      const key = `after-garbage/${i}`;
      expect((await put(urls[i % 3]!, key, `v${i}`)).status).toBe(200);
      for (const url of urls) expect((await get(url, key)).body.toString()).toBe(`v${i}`);
    }

    const sequencerMetrics = (await http('GET', `http://127.0.0.1:${sequencer.metricsPort}/metrics`)).body.toString();
    const dropName = 'mrtom_sequencer_datagrams_dropped_total';
    // Undecodable bytes count as malformed whoever sent them; decodable ones from strangers as unknown-source.
    expect(metricSum(sequencerMetrics, dropName, 'reason="malformed"')).toBeGreaterThanOrEqual(2 * GARBAGE_DATAGRAMS);
    expect(metricSum(sequencerMetrics, dropName, 'reason="unknown-source"')).toBeGreaterThan(0);
    expect(metricSum(sequencerMetrics, dropName, 'reason="wrong-group"')).toBeGreaterThan(0);
    expect(metricSum(sequencerMetrics, dropName, 'reason="unexpected-type"')).toBeGreaterThan(0);
    // Every spoofed datagram is counted under some reason, on top of the foreign ones.
    expect(metricSum(sequencerMetrics, dropName)).toBeGreaterThanOrEqual(2 * datagrams.length);

    const replicaMetrics = (await http('GET', `${urls[0]}/metrics`)).body.toString();
    expect(metricSum(replicaMetrics, 'mrtom_replica_datagrams_dropped_total', 'reason="unknown-source"')).toBeGreaterThanOrEqual(
      datagrams.length,
    );
  });
});
