// Reads the client listener's certificate, key and optional client CA from their files and checks that
// they form a usable TLS context, so a wrong path or a key of another certificate stops the replica at
// start with the flag named, not at the first handshake.
import { X509Certificate } from 'node:crypto';
import { createSecureContext, type SecureContextOptions } from 'node:tls';
import { ConfigError } from '../config/cluster.js';
import { readFlagFile } from '../config/flag-file.js';

export interface TlsFilePaths {
  cert: string;
  key: string;
  /** Given: clients must present a certificate signed by this CA (mutual TLS). */
  clientCa?: string;
}

/** What a Node TLS server takes, read from TlsFilePaths. */
export interface TlsServerMaterial extends SecureContextOptions {
  cert: Buffer;
  key: Buffer;
  ca?: Buffer;
  requestCert: boolean;
  rejectUnauthorized: boolean;
}

/** The flags (and env variables) the paths come from, for error messages. */
export const TLS_FLAGS = { cert: '--tls-cert', key: '--tls-key', clientCa: '--tls-client-ca' } as const;

/** Builds a secure context once to find what is wrong; Node's messages name the part, not the file. */
function checkContext(options: SecureContextOptions, blame: string): void {
  try {
    createSecureContext(options);
  } catch (err) {
    throw new ConfigError(`${blame}: ${(err as Error).message}`);
  }
}

/** A secure context accepts a CA bundle it cannot parse without a word; X509Certificate does not. */
function checkCertificate(pem: Buffer, blame: string): void {
  try {
    new X509Certificate(pem);
  } catch (err) {
    throw new ConfigError(`${blame}: ${(err as Error).message}`);
  }
}

export async function readTlsFiles(paths: TlsFilePaths): Promise<TlsServerMaterial> {
  const cert = await readFlagFile(TLS_FLAGS.cert, paths.cert);
  const key = await readFlagFile(TLS_FLAGS.key, paths.key);
  const ca = paths.clientCa === undefined ? undefined : await readFlagFile(TLS_FLAGS.clientCa, paths.clientCa);
  checkContext({ cert }, `${TLS_FLAGS.cert} ${paths.cert} is not a PEM certificate`);
  checkContext({ key }, `${TLS_FLAGS.key} ${paths.key} is not a PEM private key`);
  checkContext({ cert, key }, `${TLS_FLAGS.key} ${paths.key} does not belong to the certificate in ${TLS_FLAGS.cert} ${paths.cert}`);
  if (ca !== undefined) checkCertificate(ca, `${TLS_FLAGS.clientCa} ${paths.clientCa} is not a PEM CA certificate`);
  return { cert, key, ...(ca === undefined ? {} : { ca }), requestCert: ca !== undefined, rejectUnauthorized: ca !== undefined };
}
