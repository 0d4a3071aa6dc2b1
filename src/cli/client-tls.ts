// The TLS flags of every client verb (--ca-file, --cert, --key), read into the SDK's TLS options with
// errors that name the flag.
import { Option } from 'commander';
import type { TlsOptions } from '../client/index.js';
import { readFlagFile } from '../config/flag-file.js';
import { UsageError } from './exit-codes.js';

export interface ClientTlsFlags {
  caFile?: string;
  cert?: string;
  key?: string;
}

export function clientTlsOptions(): Option[] {
  return [
    new Option('--ca-file <file>', 'PEM CA to trust for https:// endpoints').env('MRTOM_CA_FILE'),
    new Option('--cert <file>', 'PEM client certificate, for replicas that verify clients').env('MRTOM_CERT'),
    new Option('--key <file>', 'PEM private key of --cert').env('MRTOM_KEY'),
  ];
}

export async function readClientTls(flags: ClientTlsFlags): Promise<TlsOptions> {
  if ((flags.cert === undefined) !== (flags.key === undefined))
    throw new UsageError('--cert and --key go together (MRTOM_CERT, MRTOM_KEY)');
  return {
    ...(flags.caFile === undefined ? {} : { ca: await readFlagFile('--ca-file', flags.caFile) }),
    ...(flags.cert === undefined ? {} : { cert: await readFlagFile('--cert', flags.cert) }),
    ...(flags.key === undefined ? {} : { key: await readFlagFile('--key', flags.key) }),
  };
}
