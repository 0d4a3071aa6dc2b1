// A replica's sockets inside a network namespace, driven by the conformance suite over IPC: a unicast
// socket at the replica's address (what it sends from, as a submitter and as a replica) and, with a
// group, a socket joined to it. Every datagram received is reported with the socket it came in on.
// argv: host port [groupAddress groupPort]
import dgram from 'node:dgram';
import { bindMulticastSocket, bindUdpSocket } from '../../../src/runtime/udp.js';

export type ProbeCommand = { send: { host: string; port: number; bytes: string } } | { stop: true };
export type ProbeEvent = { ready: true } | { datagram: { via: 'unicast' | 'multicast'; from: string; bytes: string } };

const [host = '', port = '0', groupAddress, groupPort] = process.argv.slice(2);
const unicast = await bindUdpSocket(host, Number(port));
const multicast = groupAddress === undefined ? null : await bindMulticastSocket({ address: groupAddress, port: Number(groupPort) }, host);

const report = (via: 'unicast' | 'multicast') => (bytes: Buffer, rinfo: dgram.RemoteInfo) => {
  const event: ProbeEvent = { datagram: { via, from: `${rinfo.address}:${rinfo.port}`, bytes: bytes.toString('base64') } };
  process.send?.(event);
};
unicast.on('message', report('unicast'));
multicast?.on('message', report('multicast'));

process.on('message', (command: ProbeCommand) => {
  if ('stop' in command) {
    unicast.close();
    multicast?.close();
    process.disconnect();
    return;
  }
  unicast.send(Buffer.from(command.send.bytes, 'base64'), command.send.port, command.send.host);
});
process.send?.({ ready: true } satisfies ProbeEvent);
