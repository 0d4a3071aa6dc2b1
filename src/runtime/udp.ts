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
