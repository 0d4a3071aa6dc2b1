// Finds a block of free loopback ports for a test cluster (HTTP at base.., UDP at base+99..).
import dgram from 'node:dgram';
import net from 'node:net';
import { DEV_PORT_OFFSETS } from '../../../src/runtime/dev-config.js';

function tcpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

function udpFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket('udp4');
    socket.once('error', () => resolve(false));
    socket.bind(port, '127.0.0.1', () => socket.close(() => resolve(true)));
  });
}

const ATTEMPTS_MAX = 50;

/** A base port whose dev-cluster layout (src/runtime/dev-config.ts) is free now. */
export async function freePortBase(count: number, sequencers = 1): Promise<number> {
  for (let attempt = 0; attempt < ATTEMPTS_MAX; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 400) * 100;
    const checks = [];
    for (let i = 0; i < count; i++) checks.push(tcpFree(base + i), udpFree(base + DEV_PORT_OFFSETS.replicaUdp + i));
    for (let j = 0; j < sequencers; j++)
      checks.push(tcpFree(base + DEV_PORT_OFFSETS.sequencerMetrics + j), udpFree(base + DEV_PORT_OFFSETS.sequencerUdp + j));
    if ((await Promise.all(checks)).every(Boolean)) return base;
  }
  throw new Error('no free port block found');
}
