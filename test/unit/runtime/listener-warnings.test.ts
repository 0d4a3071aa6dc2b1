// Proves the startup warnings: a listener on a non-loopback address without TLS, or a peer listener
// there without a cluster key or TLS, is warned about; loopback and protected listeners are not. How: a real
// pino logger writing JSON lines into memory.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { isLoopbackHost, warnAboutOpenListeners, type ListenerProtection } from '../../../src/runtime/listener-warnings.js';

function warningsFor(listeners: ListenerProtection): string[] {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  warnAboutOpenListeners(pino({ level: 'warn' }, sink), listeners);
  return lines.map((line) => (JSON.parse(line) as { msg: string }).msg);
}

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
    // Peer TLS alone authenticates the peers (by certificate).
    expect(warningsFor({ host: '10.0.0.5', tls: true, peerTls: true, clusterKey: false })).toEqual([]);
    expect(warningsFor({ host: '127.0.0.1', tls: false, peerTls: false, clusterKey: false })).toEqual([]);
  });
});
