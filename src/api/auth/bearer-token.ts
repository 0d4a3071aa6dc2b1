// Bearer tokens: `<id>.<secret>`, the secret 256 random bits. The id finds the token's record; only the
// SHA-256 of the secret is stored (src/store/token-table.ts), compared in constant time, so neither the
// store, a snapshot nor a log line ever holds a usable secret.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { TokenRecord } from '../../store/token-table.js';
import { isTokenId } from '../../store/token-table.js';

const SECRET_BYTES = 32;
/** 72 random bits: ids are public (listed, logged), so they need only not collide. */
const ID_BYTES = 9;

export interface IssuedToken {
  id: string;
  /** What the client sends; shown once, never stored. */
  token: string;
  secretHash: Uint8Array;
}

export function hashSecret(secret: string): Uint8Array {
  return createHash('sha256').update(secret, 'utf8').digest();
}

export function issueToken(id: string = randomBytes(ID_BYTES).toString('base64url')): IssuedToken {
  const secret = randomBytes(SECRET_BYTES).toString('base64url');
  return { id, token: `${id}.${secret}`, secretHash: hashSecret(secret) };
}

export type BearerProblem = 'missing' | 'malformed';

/** The token an Authorization header carries (`Bearer <id>.<secret>`), or what is wrong with it. */
export function parseToken(token: string | undefined): { id: string; secret: string } | BearerProblem {
  if (token === undefined || token === '') return 'missing';
  const dot = token.indexOf('.');
  const id = token.slice(0, dot);
  const secret = token.slice(dot + 1);
  return dot > 0 && isTokenId(id) && secret.length > 0 ? { id, secret } : 'malformed';
}

export function bearerOf(header: string | undefined): { id: string; secret: string } | BearerProblem {
  if (header === undefined) return 'missing';
  const match = /^Bearer +(\S+) *$/i.exec(header);
  return match === null ? 'malformed' : parseToken(match[1]);
}

export function secretMatches(record: TokenRecord, secret: string): boolean {
  return timingSafeEqual(hashSecret(secret), record.secretHash);
}
