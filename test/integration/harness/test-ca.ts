// A throwaway certificate authority for TLS tests, made with openssl in a temp folder at test time (no
// private key is committed): a CA, server, client and peer certificates for 127.0.0.1 it signed.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const DAYS = '2';

export interface IssuedCert {
  cert: string;
  key: string;
}

export interface TestCa {
  dir: string;
  /** The CA certificate's path. */
  caCert: string;
  /** A server certificate for 127.0.0.1 and localhost, under `name`. */
  issueServer(name: string): Promise<IssuedCert>;
  /** A client certificate with common name `name`. */
  issueClient(name: string): Promise<IssuedCert>;
  /** A replica's peer certificate: served by its peer listener and presented to the others' (both uses). */
  issuePeer(name: string): Promise<IssuedCert>;
  remove(): Promise<void>;
}

async function openssl(args: string[]): Promise<void> {
  await run('openssl', args);
}

export async function createTestCa(): Promise<TestCa> {
  const dir = await mkdtemp(join(tmpdir(), 'mrtom-ca-'));
  const caKey = join(dir, 'ca.key');
  const caCert = join(dir, 'ca.crt');
  await openssl(
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', DAYS].concat([
      '-subj',
      '/CN=mrtom-kv test CA',
      '-keyout',
      caKey,
      '-out',
      caCert,
    ]),
  );

  const issue = async (name: string, extensions: string): Promise<IssuedCert> => {
    const key = join(dir, `${name}.key`);
    const csr = join(dir, `${name}.csr`);
    const cert = join(dir, `${name}.crt`);
    const ext = join(dir, `${name}.ext`);
    await writeFile(ext, extensions);
    await openssl([
      'req',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-subj',
      `/CN=${name}`,
      '-keyout',
      key,
      '-out',
      csr,
    ]);
    await openssl([
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      caCert,
      '-CAkey',
      caKey,
      '-CAcreateserial',
      '-days',
      DAYS,
      '-extfile',
      ext,
      '-out',
      cert,
    ]);
    return { cert, key };
  };
  return {
    dir,
    caCert,
    issueServer: (name) => issue(name, 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n'),
    issueClient: (name) => issue(name, 'extendedKeyUsage=clientAuth\n'),
    issuePeer: (name) => issue(name, 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n'),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
