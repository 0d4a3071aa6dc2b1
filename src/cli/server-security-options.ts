// The security flags of `mrtom-kv replica`: TLS for the client API and the cluster key (the peer listener's
// bearer, the datagrams' MAC), each also read from an env variable; `mrtom-kv sequencer` takes the key's.
import { Option, type Command } from 'commander';
import { ConfigError } from '../config/cluster.js';
import { readClusterKey } from '../runtime/cluster-key.js';
import { TLS_FLAGS, type TlsFilePaths } from '../runtime/tls-files.js';

export interface SecurityFlags {
  tlsCert?: string;
  tlsKey?: string;
  tlsClientCa?: string;
  clusterKey?: string;
  clusterKeyFile?: string;
}

export function addSecurityOptions(command: Command): Command {
  return addClusterKeyOptions(
    command
      .addOption(new Option(`${TLS_FLAGS.cert} <file>`, 'PEM certificate (chain) of the client API; turns on HTTPS').env('MRTOM_TLS_CERT'))
      .addOption(new Option(`${TLS_FLAGS.key} <file>`, `PEM private key of ${TLS_FLAGS.cert}`).env('MRTOM_TLS_KEY'))
      .addOption(
        new Option(`${TLS_FLAGS.clientCa} <file>`, 'PEM CA: clients must present a certificate it signed (mutual TLS)').env(
          'MRTOM_TLS_CLIENT_CA',
        ),
      ),
  );
}

/** The cluster key flags, which the sequencer takes too (its datagrams carry the key's MAC). */
export function addClusterKeyOptions(command: Command): Command {
  return command
    .addOption(
      new Option(
        '--cluster-key <key>',
        'shared key authenticating the peer listener and every datagram (visible in ps: prefer the env or a file)',
      ).env('MRTOM_CLUSTER_KEY'),
    )
    .addOption(new Option('--cluster-key-file <file>', 'file holding the cluster key').env('MRTOM_CLUSTER_KEY_FILE'));
}

/** The cluster key of these flags, or undefined for none. */
export function clusterKeyOf(flags: Pick<SecurityFlags, 'clusterKey' | 'clusterKeyFile'>): Promise<Buffer | undefined> {
  return readClusterKey({
    ...(flags.clusterKey === undefined ? {} : { key: flags.clusterKey }),
    ...(flags.clusterKeyFile === undefined ? {} : { keyFile: flags.clusterKeyFile }),
  });
}

/** The TLS paths, or undefined for plain HTTP; a certificate without its key (or the reverse) is a usage error. */
export function tlsPathsOf(flags: SecurityFlags): TlsFilePaths | undefined {
  const { tlsCert: cert, tlsKey: key, tlsClientCa: clientCa } = flags;
  if (cert === undefined && key === undefined) {
    if (clientCa !== undefined) throw new ConfigError(`${TLS_FLAGS.clientCa} needs ${TLS_FLAGS.cert} and ${TLS_FLAGS.key}`);
    return undefined;
  }
  if (cert === undefined) throw new ConfigError(`${TLS_FLAGS.key} needs ${TLS_FLAGS.cert} (MRTOM_TLS_CERT) too`);
  if (key === undefined) throw new ConfigError(`${TLS_FLAGS.cert} needs ${TLS_FLAGS.key} (MRTOM_TLS_KEY) too`);
  return { cert, key, ...(clientCa === undefined ? {} : { clientCa }) };
}

/** What startReplicaNode takes from these flags. */
export async function securityOptionsOf(flags: SecurityFlags): Promise<{ tls?: TlsFilePaths; clusterKey?: Buffer }> {
  const tls = tlsPathsOf(flags);
  const clusterKey = await clusterKeyOf(flags);
  return { ...(tls === undefined ? {} : { tls }), ...(clusterKey === undefined ? {} : { clusterKey }) };
}
