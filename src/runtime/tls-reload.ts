// SIGHUP reloads the client listener's certificate and key (rotated by cert-manager, certbot or an
// operator): new handshakes use the new files, open connections keep theirs. A reload that fails keeps
// the old context and says why, so a half-written file never takes the listener down. SIGHUP never stops
// a replica, TLS or not, so `systemctl reload` is always safe.
import type { Server } from 'node:tls';
import type { Logger } from 'pino';
import { readTlsFiles, type TlsFilePaths } from './tls-files.js';

export interface TlsReloadTarget {
  server: Server;
  paths: TlsFilePaths;
}

/** Starts listening for SIGHUP; the returned function stops it. `target` null: plain HTTP, nothing to reload. */
export function reloadOnSighup(target: TlsReloadTarget | null, logger: Logger): () => void {
  const reload = (): void => {
    if (target === null) {
      logger.info('SIGHUP: no TLS certificate to reload');
      return;
    }
    const { server, paths } = target;
    readTlsFiles(paths).then(
      (material) => {
        server.setSecureContext(material);
        logger.info({ cert: paths.cert, key: paths.key, clientCa: paths.clientCa ?? null }, 'tls certificate reloaded');
      },
      (err: Error) => logger.error({ err: { message: err.message } }, 'tls reload failed; keeping the previous certificate'),
    );
  };
  process.on('SIGHUP', reload);
  return () => process.off('SIGHUP', reload);
}
