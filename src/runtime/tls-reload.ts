// SIGHUP reloads the client listener's certificate and key (rotated by cert-manager, certbot or an
// operator): new handshakes use the new files, open connections keep theirs. A reload that fails keeps
// the old context and says why, so a half-written file never takes the listener down. SIGHUP never stops
// a replica, TLS or not, so `systemctl reload` is always safe.
import type { Server } from 'node:tls';
import type { Logger } from 'pino';
import { readTlsFiles, type TlsFilePaths, type TlsFlagNames, type TlsServerMaterial } from './tls-files.js';

export interface TlsReloadTarget {
  /** Which listener, for the log. */
  name: string;
  server: Server;
  paths: TlsFilePaths;
  flags: TlsFlagNames;
  /** Also told the new files (the peer client presents the same certificate). */
  onReload?(material: TlsServerMaterial): void;
}

/** Starts listening for SIGHUP; the returned function stops it. No targets: plain HTTP, nothing to reload. */
export function reloadOnSighup(targets: readonly TlsReloadTarget[], logger: Logger): () => void {
  const reloadOne = ({ name, server, paths, flags, onReload }: TlsReloadTarget): void => {
    readTlsFiles(paths, flags).then(
      (material) => {
        server.setSecureContext(material);
        onReload?.(material);
        logger.info({ listener: name, cert: paths.cert, key: paths.key, clientCa: paths.clientCa ?? null }, 'tls certificate reloaded');
      },
      (err: Error) =>
        logger.error({ listener: name, err: { message: err.message } }, 'tls reload failed; keeping the previous certificate'),
    );
  };
  const reload = (): void => {
    if (targets.length === 0) logger.info('SIGHUP: no TLS certificate to reload');
    for (const target of targets) reloadOne(target);
  };
  process.on('SIGHUP', reload);
  return () => process.off('SIGHUP', reload);
}
