// Startup warnings for listeners reachable from other machines without protection: the client API
// without TLS (values and, with tokens, credentials in clear), the peer listener without a cluster key or
// peer TLS (anyone reaching it can download the whole store) or with the key but in clear, datagrams
// without the key (anyone who can spoof a member's address can inject; docs/security.md).
import { isIP } from 'node:net';
import type { Logger } from 'pino';

export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

export interface ListenerProtection {
  host: string;
  tls: boolean;
  peerTls: boolean;
  clusterKey: boolean;
}

export function warnAboutOpenListeners(logger: Logger, listeners: ListenerProtection): void {
  if (isLoopbackHost(listeners.host)) return;
  if (!listeners.tls) {
    logger.warn({ host: listeners.host }, 'the client API listens on a non-loopback address without TLS: pass --tls-cert and --tls-key');
  }
  if (!listeners.clusterKey && !listeners.peerTls) {
    logger.warn(
      { host: listeners.host },
      'the peer listener listens on a non-loopback address without a cluster key: anyone reaching it can read the whole store, and datagrams carry no MAC; pass --cluster-key-file',
    );
  } else if (!listeners.clusterKey) {
    logger.warn({ host: listeners.host }, 'datagrams carry no MAC without a cluster key: pass --cluster-key-file');
  } else if (!listeners.peerTls) {
    logger.warn(
      { host: listeners.host },
      'the peer listener runs without TLS: snapshots and the cluster key bearer cross the network in clear; pass --peer-tls-cert, --peer-tls-key and --peer-tls-ca',
    );
  }
}

/** A sequencer reachable from other machines without the cluster key stamps whatever a spoofer sends. */
export function warnAboutUnkeyedSequencer(logger: Logger, host: string, clusterKey: boolean): void {
  if (isLoopbackHost(host) || clusterKey) return;
  logger.warn(
    { host },
    'the sequencer listens on a non-loopback address without a cluster key: datagrams carry no MAC; pass --cluster-key-file',
  );
}
