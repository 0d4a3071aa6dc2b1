// The root token's bootstrap (docs/api.md, Authentication): a replica started with auth on submits a
// `token_bootstrap` op carrying the hash of a root secret. The op creates the root token only if no root
// was ever bootstrapped (src/store/token-op.ts), so however many replicas start at once, the first such
// op in the log wins on every replica and exactly one root token results. The secret comes from the
// root token file when it exists (`dev --auth` writes one file all its replicas read); otherwise this
// replica draws one and writes the file (mode 0600), and removes it again when another replica's op won.
import { readFile, rm, writeFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { KvService } from '../api/service.js';
import { ServiceError } from '../api/service-errors.js';
import { hashSecret, issueToken, parseToken } from '../api/auth/bearer-token.js';
import { ROOT_TOKEN_ID } from '../store/token-table.js';
import type { AuthTokens } from '../api/auth/auth-hooks.js';
import { timingSafeEqual } from 'node:crypto';

const RETRY_DELAY_MS_MIN = 100;
const RETRY_DELAY_MS_MAX = 2_000;

export interface RootTokenBootstrap {
  service: KvService;
  /** Where the root token is read from, or written to when this replica draws it. */
  file: string;
  tokens: Pick<AuthTokens, 'get' | 'readable'> & { readonly rootBootstrapped: boolean };
  logger: Logger;
  signal: AbortSignal;
}

/** Writes a new root token to `file` (mode 0600, failing if the file exists) and returns it. */
export async function writeRootTokenFile(file: string): Promise<string> {
  const { token } = issueToken(ROOT_TOKEN_ID);
  await writeFile(file, `${token}\n`, { mode: 0o600, flag: 'wx' });
  return token;
}

/** The root token of `file`, written there first when the file does not exist. */
export async function readOrWriteRootTokenFile(file: string): Promise<string> {
  return (await readRootTokenFile(file)) ?? (await writeRootTokenFile(file));
}

async function readRootTokenFile(file: string): Promise<string | null> {
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });
}

/** Resolves once the bootstrap op applied (or the replica stops); retries while there is no quorum yet. */
export async function bootstrapRootToken({ service, file, tokens, logger, signal }: RootTokenBootstrap): Promise<void> {
  if (tokens.rootBootstrapped) return;
  const stored = await readRootTokenFile(file);
  const token = stored ?? (await writeRootTokenFile(file));
  const parsed = parseToken(token);
  if (typeof parsed === 'string' || parsed.id !== ROOT_TOKEN_ID) throw new Error(`${file} holds no root token (root.<secret>)`);
  const op = {
    type: 'token_bootstrap' as const,
    token: { id: ROOT_TOKEN_ID, name: 'root', secretHash: hashSecret(parsed.secret), rules: [{ prefix: '', access: 'admin' as const }] },
  };
  for (let wait = RETRY_DELAY_MS_MIN; !signal.aborted; wait = Math.min(wait * 2, RETRY_DELAY_MS_MAX)) {
    try {
      await service.submit(op);
      // Whichever attempt applied (a timed-out one may have), the table says whose secret won.
      await tokens.readable();
      const root = tokens.get(ROOT_TOKEN_ID);
      const won = root !== null && timingSafeEqual(root.secretHash, op.token.secretHash);
      if (won && stored === null) process.stdout.write(`root token: ${token}\n`);
      if (won) logger.info({ file }, 'the root token is bootstrapped');
      else if (stored === null) await rm(file, { force: true });
      if (!won) logger.info('the root token was bootstrapped by another replica or an earlier start');
      return;
    } catch (err) {
      if (!(err instanceof ServiceError)) throw err;
      await delay(wait, signal);
    }
  }
}
