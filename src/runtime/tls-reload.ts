// Reloads the client listener's certificate and key on SIGHUP (certificates rotated by cert-manager,
// certbot or an operator): new handshakes use the new files, open connections keep theirs. A reload that
// fails keeps the old context and says why, so a half-written file never takes the listener down.
import type { Server } from 'node:tls';
import type { Logger } from 'pino';
import { readTlsFiles, type TlsFilePaths } from './tls-files.js';

/** Starts listening for SIGHUP; the returned function stops it. */
export function reloadTlsOnSighup(server: Server, paths: TlsFilePaths, logger: Logger): () => void {
  const reload = (): void => {
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
