// The byte layouts of the XDP program's maps (sequencer.h), encoded for the agent. Addresses and ports
// are in network byte order, protocol fields and counters in host order (little-endian on every machine
// this runs on; asserted). sequencer.h and this file change together.
import assert from 'node:assert/strict';
import { endianness } from 'node:os';

assert.equal(endianness(), 'LE', 'the XDP map layouts assume a little-endian host');

/** MRTOM_REPLICAS_MAX: the cluster config allows at most 9 replicas. */
export const REPLICAS_MAX = 9;

export const MAP_NAMES = {
  config: 'mrtom_config',
  session: 'mrtom_session',
  acks: 'mrtom_acks',
  ackOwner: 'mrtom_ack_owner',
  replicas: 'mrtom_replicas',
  ring: 'mrtom_ring',
  counters: 'mrtom_counters',
} as const;

/** The index of every counter in mrtom_counters, in the order of `enum mrtom_counter`. */
export const XDP_COUNTERS = [
  'stamped',
  'acks-aggregated',
  'commit-notices',
  'copy-failed',
  'not-ipv4',
  'unconfigured',
  'foreign',
  'fragment',
  'not-stampable',
  'ack',
  'retransmits-answered',
  'retransmit',
] as const;
export type XdpCounter = (typeof XDP_COUNTERS)[number];

export interface UdpEndpoint {
  /** A dotted IPv4 address. */
  ip: string;
  port: number;
}

export interface XdpConfig {
  group: number;
  sequencer: UdpEndpoint;
  multicast: UdpEndpoint;
  /** The sequencer interface's MAC, the source of every frame the program sends. */
  interfaceMac: string;
  datagramBytesMax: number;
  replicaCount: number;
  faultsTolerated: number;
  ringEntries: number;
}

function writeIp(target: Buffer, offset: number, ip: string): void {
  const octets = ip.split('.').map(Number);
  assert.ok(octets.length === 4 && octets.every((o) => Number.isInteger(o) && o >= 0 && o <= 255), `${ip} is not an IPv4 address`);
  target.set(octets, offset);
}

function writeMac(target: Buffer, offset: number, mac: string): void {
  const bytes = mac.split(':').map((part) => Number.parseInt(part, 16));
  assert.ok(bytes.length === 6 && bytes.every((b) => Number.isInteger(b) && b >= 0 && b <= 255), `${mac} is not a MAC address`);
  target.set(bytes, offset);
}

/** 01:00:5e and the low 23 bits of the group address (RFC 1112 §6.4). */
export function multicastMacOf(ip: string): string {
  const [, second = 0, third = 0, fourth = 0] = ip.split('.').map(Number);
  return ['01', '00', '5e', second & 0x7f, third, fourth]
    .map((b) => (typeof b === 'string' ? b : b.toString(16).padStart(2, '0')))
    .join(':');
}

export const KEY_ZERO = encodeU32(0);

export function encodeConfig(config: XdpConfig): Buffer {
  const out = Buffer.alloc(44);
  out.writeUInt32LE(config.group, 0);
  writeIp(out, 4, config.sequencer.ip);
  writeIp(out, 8, config.multicast.ip);
  out.writeUInt16BE(config.sequencer.port, 12);
  out.writeUInt16BE(config.multicast.port, 14);
  writeMac(out, 16, multicastMacOf(config.multicast.ip));
  writeMac(out, 22, config.interfaceMac);
  out.writeUInt32LE(config.datagramBytesMax, 28);
  out.writeUInt32LE(config.replicaCount, 32);
  out.writeUInt32LE(config.faultsTolerated, 36);
  out.writeUInt32LE(config.ringEntries, 40);
  return out;
}

/** struct mrtom_session: lock, session, view, incarnation, seq_last. */
export const SESSION_BYTES = 24;

export interface XdpSession {
  session: number;
  view: number;
  incarnation: number;
  seqLast: number;
}

export function encodeSession(session: XdpSession): Buffer {
  const out = Buffer.alloc(SESSION_BYTES);
  out.writeUInt32LE(session.session, 4);
  out.writeUInt32LE(session.view, 8);
  out.writeUInt32LE(session.incarnation, 12);
  out.writeBigUInt64LE(BigInt(session.seqLast), 16);
  return out;
}

export function decodeSession(bytes: Buffer): XdpSession {
  return {
    session: bytes.readUInt32LE(4),
    view: bytes.readUInt32LE(8),
    incarnation: bytes.readUInt32LE(12),
    seqLast: Number(bytes.readBigUInt64LE(16)),
  };
}

/** struct mrtom_acks: lock, session, commit, then each replica's through by position in view order. */
export const ACKS_BYTES = 16 + 8 * REPLICAS_MAX;

export interface XdpAcks {
  session: number;
  commit: number;
  /** By position in view order (config.replicas). */
  throughs: number[];
}

export function encodeAcks(acks: XdpAcks): Buffer {
  assert.ok(acks.throughs.length <= REPLICAS_MAX, `at most ${REPLICAS_MAX} replicas`);
  const out = Buffer.alloc(ACKS_BYTES);
  out.writeUInt32LE(acks.session, 4);
  out.writeBigUInt64LE(BigInt(acks.commit), 8);
  acks.throughs.forEach((through, i) => out.writeBigUInt64LE(BigInt(through), 16 + 8 * i));
  return out;
}

export function decodeAcks(bytes: Buffer, replicaCount: number): XdpAcks {
  return {
    session: bytes.readUInt32LE(4),
    commit: Number(bytes.readBigUInt64LE(8)),
    throughs: Array.from({ length: replicaCount }, (_, i) => Number(bytes.readBigUInt64LE(16 + 8 * i))),
  };
}

export function encodeU32(value: number): Buffer {
  const out = Buffer.alloc(4);
  out.writeUInt32LE(value, 0);
  return out;
}

/** MRTOM_COPY_BYTES_MAX: a ring slot holds an MRTOM datagram of at most this many bytes. */
export const COPY_BYTES_MAX = 1472;
/** struct mrtom_copy: lock, session, seq, stamped_ns, bytes, pad, then the datagram. */
export const COPY_BYTES = 32 + COPY_BYTES_MAX;

export interface XdpCopy {
  session: number;
  seq: number;
  /** CLOCK_MONOTONIC, as bpf_ktime_get_ns and process.hrtime give it. */
  stampedNs: bigint;
  /** A copy of the stamped ORDERED datagram. */
  datagram: Uint8Array;
}

export function decodeCopy(bytes: Buffer): XdpCopy {
  const length = Math.min(bytes.readUInt32LE(24), COPY_BYTES_MAX);
  return {
    session: bytes.readUInt32LE(4),
    seq: Number(bytes.readBigUInt64LE(8)),
    stampedNs: bytes.readBigUInt64LE(16),
    datagram: new Uint8Array(bytes.subarray(32, 32 + length)),
  };
}

/** struct mrtom_source: a replica's address, the key of mrtom_replicas. */
export function encodeSource(source: UdpEndpoint): Buffer {
  const out = Buffer.alloc(8);
  writeIp(out, 0, source.ip);
  out.writeUInt16BE(source.port, 4);
  return out;
}

/** struct mrtom_replica: the replica's id and its position in view order. */
export function encodeReplica(id: number, index: number): Buffer {
  const out = Buffer.alloc(8);
  out.writeUInt32LE(id, 0);
  out.writeUInt32LE(index, 4);
  return out;
}

/** A per-CPU counter's value summed over every CPU's 8-byte slot. */
export function sumPerCpu(bytes: Buffer): number {
  let sum = 0n;
  for (let offset = 0; offset + 8 <= bytes.byteLength; offset += 8) sum += bytes.readBigUInt64LE(offset);
  return Number(sum);
}
