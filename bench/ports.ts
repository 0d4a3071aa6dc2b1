// Finds a base port p such that p + each offset of a target's port layout is free on loopback, for
// TCP and for UDP (mrtom-kv's dev cluster takes TCP p..p+2 and p+80, UDP p+90 and p+100..p+102). A
// port can still be taken between this check and the child's bind; the child then fails to start
// and the runner reports it.
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';

const portLow = 20_000;
const portHigh = 60_000;
const attemptsMax = 50;

export interface PortLayout {
  tcpOffsets: readonly number[];
  udpOffsets: readonly number[];
}

function isTcpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

function isUdpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    socket.once('error', () => {
      socket.close();
      resolve(false);
    });
    socket.bind({ address: '127.0.0.1', port, exclusive: true }, () => socket.close(() => resolve(true)));
  });
}

async function isLayoutFree(base: number, layout: PortLayout): Promise<boolean> {
  for (const offset of layout.tcpOffsets) if (!(await isTcpFree(base + offset))) return false;
  for (const offset of layout.udpOffsets) if (!(await isUdpFree(base + offset))) return false;
  return true;
}

// `count` consecutive TCP ports.
export function tcpRun(count: number): PortLayout {
  return { tcpOffsets: Array.from({ length: count }, (_, offset) => offset), udpOffsets: [] };
}

export async function freePortBase(layout: PortLayout): Promise<number> {
  const span = Math.max(...layout.tcpOffsets, ...layout.udpOffsets) + 1;
  for (let attempt = 0; attempt < attemptsMax; attempt += 1) {
    const base = portLow + Math.floor(Math.random() * (portHigh - portLow - span));
    if (await isLayoutFree(base, layout)) return base;
  }
  throw new Error(`no free port layout spanning ${span} ports in ${portLow}-${portHigh} after ${attemptsMax} tries`);
}
