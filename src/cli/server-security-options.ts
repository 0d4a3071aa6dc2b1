// The security flags of `mrtom-kv replica`: TLS for the client API, TLS for the peer listener, and the
// cluster key (the peer listener's bearer, the datagrams' MAC), each also read from an env variable;
// `mrtom-kv sequencer` takes the key's.
import { Option, type Command } from 'commander';
import { ConfigError } from '../config/cluster.js';
import { readClusterKey } from '../runtime/cluster-key.js';
import { PEER_TLS_FLAGS, TLS_FLAGS, type TlsFilePaths, type TlsFlagNames } from '../runtime/tls-files.js';

export interface SecurityFlags {
  tlsCert?: string;
  tlsKey?: string;
  tlsClientCa?: string;
  peerTlsCert?: string;
  peerTlsKey?: string;
  peerTlsCa?: string;
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
      )
      .addOption(
        new Option(
          `${PEER_TLS_FLAGS.cert} <file>`,
          "PEM certificate of the peer listener, also presented to the peers'; turns on peer TLS",
        ).env('MRTOM_PEER_TLS_CERT'),
      )
      .addOption(new Option(`${PEER_TLS_FLAGS.key} <file>`, `PEM private key of ${PEER_TLS_FLAGS.cert}`).env('MRTOM_PEER_TLS_KEY'))
      .addOption(
        new Option(`${PEER_TLS_FLAGS.clientCa} <file>`, "PEM CA that signed every replica's peer certificate (required with peer TLS)").env(
          'MRTOM_PEER_TLS_CA',
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

/** TLS paths from three flags, or undefined for plain HTTP; a certificate without its key (or the reverse)
 *  is a usage error, and so is a missing CA where `caRequired`. */
function pathsOf(
  given: { cert: string | undefined; key: string | undefined; clientCa: string | undefined },
  flags: TlsFlagNames,
  env: string,
  caRequired: boolean,
): TlsFilePaths | undefined {
  const { cert, key, clientCa } = given;
  if (cert === undefined && key === undefined) {
    if (clientCa !== undefined) throw new ConfigError(`${flags.clientCa} needs ${flags.cert} and ${flags.key}`);
    return undefined;
  }
  if (cert === undefined) throw new ConfigError(`${flags.key} needs ${flags.cert} (${env}_CERT) too`);
  if (key === undefined) throw new ConfigError(`${flags.cert} needs ${flags.key} (${env}_KEY) too`);
  if (clientCa === undefined && caRequired)
    throw new ConfigError(`${flags.cert} needs ${flags.clientCa} (${env}_CA): peers prove who they are by a certificate it signed`);
  return { cert, key, ...(clientCa === undefined ? {} : { clientCa }) };
}

/** The client API's TLS paths, or undefined for plain HTTP. */
export function tlsPathsOf(flags: SecurityFlags): TlsFilePaths | undefined {
  return pathsOf({ cert: flags.tlsCert, key: flags.tlsKey, clientCa: flags.tlsClientCa }, TLS_FLAGS, 'MRTOM_TLS', false);
}

/** The peer listener's TLS paths (always mutual), or undefined for plain HTTP. */
export function peerTlsPathsOf(flags: SecurityFlags): TlsFilePaths | undefined {
  return pathsOf({ cert: flags.peerTlsCert, key: flags.peerTlsKey, clientCa: flags.peerTlsCa }, PEER_TLS_FLAGS, 'MRTOM_PEER_TLS', true);
}

/** What startReplicaNode takes from these flags. */
export async function securityOptionsOf(
  flags: SecurityFlags,
): Promise<{ tls?: TlsFilePaths; peerTls?: TlsFilePaths; clusterKey?: Buffer }> {
  const tls = tlsPathsOf(flags);
  const peerTls = peerTlsPathsOf(flags);
  const clusterKey = await clusterKeyOf(flags);
  return {
    ...(tls === undefined ? {} : { tls }),
    ...(peerTls === undefined ? {} : { peerTls }),
    ...(clusterKey === undefined ? {} : { clusterKey }),
  };
}
