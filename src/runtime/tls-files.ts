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
export interface TlsFlagNames {
  cert: string;
  key: string;
  clientCa: string;
}
export const TLS_FLAGS: TlsFlagNames = { cert: '--tls-cert', key: '--tls-key', clientCa: '--tls-client-ca' };
/** The peer listener's: its certificate is also the one this replica presents to its peers, and the CA
 *  both what their certificates must be signed by and what theirs must be (mutual TLS, docs/security.md). */
export const PEER_TLS_FLAGS: TlsFlagNames = { cert: '--peer-tls-cert', key: '--peer-tls-key', clientCa: '--peer-tls-ca' };

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

export async function readTlsFiles(paths: TlsFilePaths, flags: TlsFlagNames = TLS_FLAGS): Promise<TlsServerMaterial> {
  const cert = await readFlagFile(flags.cert, paths.cert);
  const key = await readFlagFile(flags.key, paths.key);
  const ca = paths.clientCa === undefined ? undefined : await readFlagFile(flags.clientCa, paths.clientCa);
  checkContext({ cert }, `${flags.cert} ${paths.cert} is not a PEM certificate`);
  checkContext({ key }, `${flags.key} ${paths.key} is not a PEM private key`);
  checkContext({ cert, key }, `${flags.key} ${paths.key} does not belong to the certificate in ${flags.cert} ${paths.cert}`);
  if (ca !== undefined) checkCertificate(ca, `${flags.clientCa} ${paths.clientCa} is not a PEM CA certificate`);
  return { cert, key, ...(ca === undefined ? {} : { ca }), requestCert: ca !== undefined, rejectUnauthorized: ca !== undefined };
}
