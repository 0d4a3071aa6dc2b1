// The sequencer bench's latency probe, run inside replica 1's namespace (bench/sequencer/run.ts): starts
// session 1 as the leader, then sends one REQUEST at a time and times until its ORDERED comes back by
// multicast — the round trip the data plane adds. Prints {"p50Us","p99Us","samples"} as one JSON line.
// argv: host port sequencerHost sequencerPort groupAddress groupPort groupId count
import { setTimeout as sleep } from 'node:timers/promises';
import { MessageType } from '../../src/mrtom/header.js';
import { decodeDatagram, encodeDatagram } from '../../src/mrtom/messages.js';
import { bindMulticastSocket, bindUdpSocket, closeUdpSocket } from '../../src/runtime/udp.js';

const [host = '', port = '', sequencerHost = '', sequencerPort = '', groupAddress = '', groupPort = '', groupId = '', count = ''] =
  process.argv.slice(2);
const REPLY_DEADLINE_MS = 1_000;
const SESSION_ATTEMPTS_MAX = 50;

const unicast = await bindUdpSocket(host, Number(port));
const multicast = await bindMulticastSocket({ address: groupAddress, port: Number(groupPort) }, host);
const to = (bytes: Uint8Array): void => unicast.send(bytes, Number(sequencerPort), sequencerHost);
const header = { group: Number(groupId), view: 0, seq: 0, commit: 0, sender: 1 };

let waiting: { requestId: number; resolve: () => void } | null = null;
let sessionStarted = false;
multicast.on('message', (bytes: Buffer) => {
  const { header: h } = decodeDatagram(bytes);
  if (h.type === MessageType.HEARTBEAT && h.session === 1) sessionStarted = true;
  if (h.type === MessageType.ORDERED && waiting !== null && h.requestId === waiting.requestId) waiting.resolve();
});

for (let attempt = 0; !sessionStarted; attempt += 1) {
  if (attempt >= SESSION_ATTEMPTS_MAX) throw new Error('the sequencer never announced session 1');
  to(encodeDatagram({ ...header, type: MessageType.SESSION_START, session: 1, requestId: 0 }));
  await sleep(100);
}

const samplesUs: number[] = [];
for (let requestId = 1; requestId <= Number(count); requestId += 1) {
  const started = process.hrtime.bigint();
  const answered = new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), REPLY_DEADLINE_MS);
    waiting = {
      requestId,
      resolve: () => {
        clearTimeout(timer);
        resolve(true);
      },
    };
  });
  to(encodeDatagram({ ...header, type: MessageType.REQUEST, session: 0, requestId, sender: 101 }, new Uint8Array(16)));
  if (await answered) samplesUs.push(Number(process.hrtime.bigint() - started) / 1_000);
}
samplesUs.sort((a, b) => a - b);
const at = (q: number): number => Math.round(samplesUs[Math.min(samplesUs.length - 1, Math.floor(q * samplesUs.length))] ?? NaN);
process.stdout.write(`${JSON.stringify({ p50Us: at(0.5), p99Us: at(0.99), samples: samplesUs.length })}\n`);
await Promise.all([closeUdpSocket(unicast), closeUdpSocket(multicast)]);
