// Startup warnings for listeners reachable from other machines without protection: the client API
// without TLS (values and, with tokens, credentials in clear), the peer listener without a cluster key
// (anyone reaching it can download the whole store).
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
  clusterKey: boolean;
}

export function warnAboutOpenListeners(logger: Logger, listeners: ListenerProtection): void {
  if (isLoopbackHost(listeners.host)) return;
  if (!listeners.tls) {
    logger.warn({ host: listeners.host }, 'the client API listens on a non-loopback address without TLS: pass --tls-cert and --tls-key');
  }
  if (!listeners.clusterKey) {
    logger.warn(
      { host: listeners.host },
      'the peer listener listens on a non-loopback address without a cluster key: anyone reaching it can read the whole store; pass --cluster-key-file',
    );
  }
}
