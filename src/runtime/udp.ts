// Small helpers around node:dgram shared by the sequencer and replica runtimes.
import dgram from 'node:dgram';

/** Socket buffers sized for bursts of a few thousand datagrams; the kernel may cap them (best effort). */
const SOCKET_BUFFER_BYTES = 4 * 1024 * 1024;

export function sourceKey(address: { host: string; port: number }): string {
  return `${address.host}:${address.port}`;
}

export function bindUdpSocket(host: string, port: number): Promise<dgram.Socket> {
  const socket = dgram.createSocket({ type: 'udp4', recvBufferSize: SOCKET_BUFFER_BYTES, sendBufferSize: SOCKET_BUFFER_BYTES });
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, host, () => {
      socket.off('error', reject);
      resolve(socket);
    });
  });
}

export function closeUdpSocket(socket: dgram.Socket): Promise<void> {
  return new Promise((resolve) => socket.close(() => resolve()));
}

/** A socket that receives what is sent to `group` on the interface owning `interfaceAddress` (docs/xdp.md). */
export function bindMulticastSocket(group: { address: string; port: number }, interfaceAddress: string): Promise<dgram.Socket> {
  const socket = dgram.createSocket({ type: 'udp4', reuseAddr: true, recvBufferSize: SOCKET_BUFFER_BYTES });
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(group.port, group.address, () => {
      socket.off('error', reject);
      try {
        socket.addMembership(group.address, interfaceAddress);
      } catch (err) {
        socket.close();
        reject(err as Error);
        return;
      }
      resolve(socket);
    });
  });
}

/** Sends to a multicast group leave through the interface owning `interfaceAddress`, to this L2 segment only. */
export function sendMulticastVia(socket: dgram.Socket, interfaceAddress: string): void {
  socket.setMulticastInterface(interfaceAddress);
  socket.setMulticastTTL(1);
}
