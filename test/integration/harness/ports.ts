// Finds a block of free loopback ports for a test cluster (the dev-cluster layout from a base port), below the
// kernel's ephemeral range: a port in that range can be taken by any outgoing connection while its process is down.
import dgram from 'node:dgram';
import { readFile } from 'node:fs/promises';
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
const BASE_PORT_MIN = 10_000;
/** Blocks are this far apart; the layout spans less (the highest offset is replicaUdp + replicas - 1). */
const BLOCK_PORTS = 100;
/** Where Linux's ephemeral range starts by default, for a system that does not say. */
const EPHEMERAL_PORT_LOW_DEFAULT = 32_768;

async function ephemeralPortLow(): Promise<number> {
  const range = await readFile('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').catch(() => null);
  const low = Number(range?.trim().split(/\s+/)[0]);
  return Number.isInteger(low) && low > BASE_PORT_MIN + 2 * BLOCK_PORTS ? low : EPHEMERAL_PORT_LOW_DEFAULT;
}

/** A base port whose dev-cluster layout (src/runtime/dev-config.ts) is free now and ends below the ephemeral range. */
export async function freePortBase(count: number, sequencers = 1): Promise<number> {
  // A block starting at the last base still ends a whole block below the ephemeral range.
  const blocks = Math.floor((await ephemeralPortLow()) / BLOCK_PORTS) - BASE_PORT_MIN / BLOCK_PORTS - 1;
  for (let attempt = 0; attempt < ATTEMPTS_MAX; attempt++) {
    const base = BASE_PORT_MIN + Math.floor(Math.random() * blocks) * BLOCK_PORTS;
    const checks = [];
    // The peer listener serves TCP on the UDP port's number (src/config/cluster.ts, peerPortOf).
    for (let i = 0; i < count; i++) {
      const udpPort = base + DEV_PORT_OFFSETS.replicaUdp + i;
      checks.push(tcpFree(base + i), udpFree(udpPort), tcpFree(udpPort));
    }
    for (let j = 0; j < sequencers; j++)
      checks.push(tcpFree(base + DEV_PORT_OFFSETS.sequencerMetrics + j), udpFree(base + DEV_PORT_OFFSETS.sequencerUdp + j));
    if ((await Promise.all(checks)).every(Boolean)) return base;
  }
  throw new Error('no free port block found');
}
