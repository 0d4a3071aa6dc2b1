// Proves the startup warnings: a listener on a non-loopback address without TLS, a peer listener there
// without a cluster key or TLS, or a sequencer there without a cluster key, is warned about; loopback and
// protected listeners are not. How: a real pino logger writing JSON lines into memory.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { Logger } from 'pino';
import {
  isLoopbackHost,
  warnAboutOpenListeners,
  warnAboutUnkeyedSequencer,
  type ListenerProtection,
} from '../../../src/runtime/listener-warnings.js';

function warningsOf(warn: (logger: Logger) => void): string[] {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  warn(pino({ level: 'warn' }, sink));
  return lines.map((line) => (JSON.parse(line) as { msg: string }).msg);
}

const warningsFor = (listeners: ListenerProtection): string[] => warningsOf((logger) => warnAboutOpenListeners(logger, listeners));

describe('listener warnings', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.3.2.1', true],
    ['localhost', true],
    ['::1', true],
    ['10.0.0.5', false],
    ['0.0.0.0', false],
    ['replica-1.mrtom', false],
    ['::', false],
  ])('%s is loopback: %s', (host, loopback) => {
    expect(isLoopbackHost(host)).toBe(loopback);
  });

  it('warns about each unprotected listener on a non-loopback address, and only then', () => {
    const open = warningsFor({ host: '10.0.0.5', tls: false, peerTls: false, clusterKey: false });
    expect(open).toEqual([
      expect.stringMatching(/client API .* without TLS/),
      expect.stringMatching(/peer listener .* without a cluster key/),
    ]);
    expect(warningsFor({ host: '10.0.0.5', tls: true, peerTls: false, clusterKey: false })).toEqual([
      expect.stringMatching(/peer listener/),
    ]);
    expect(warningsFor({ host: '10.0.0.5', tls: true, peerTls: false, clusterKey: true })).toEqual([
      expect.stringMatching(/peer listener runs without TLS/),
    ]);
    expect(warningsFor({ host: '10.0.0.5', tls: true, peerTls: true, clusterKey: true })).toEqual([]);
    // Peer TLS authenticates the peers (by certificate), but only the key authenticates datagrams.
    expect(warningsFor({ host: '10.0.0.5', tls: true, peerTls: true, clusterKey: false })).toEqual([
      expect.stringMatching(/datagrams carry no MAC/),
    ]);
    expect(warningsFor({ host: '127.0.0.1', tls: false, peerTls: false, clusterKey: false })).toEqual([]);
  });

  it('warns about a sequencer on a non-loopback address without a cluster key, and only then', () => {
    expect(warningsOf((logger) => warnAboutUnkeyedSequencer(logger, '10.0.0.5', false))).toEqual([
      expect.stringMatching(/sequencer .* without a cluster key/),
    ]);
    expect(warningsOf((logger) => warnAboutUnkeyedSequencer(logger, '10.0.0.5', true))).toEqual([]);
    expect(warningsOf((logger) => warnAboutUnkeyedSequencer(logger, '127.0.0.1', false))).toEqual([]);
  });
});
