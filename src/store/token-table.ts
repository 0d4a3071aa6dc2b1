// The replicated table of auth tokens (docs/api.md, Authentication): every replica holds the same set,
// changed only by applied ops (token-op.ts), written in the apply batch under `t<id>` and carried by a
// snapshot like any other record. The table is small (TOKENS_MAX), so each replica keeps it in memory,
// loaded at open: authenticating a request reads no disk. Secrets are never stored, only their SHA-256.
import assert from 'node:assert/strict';
import { isRecord, packBody, unpackBody } from '../mrtom/body.js';
import type { Database } from './database.js';
import { asBuffer, plainBytes } from './codec.js';
import { idOfTokenKey, ROOT_BOOTSTRAPPED_KEY, TOKENS_END, TOKENS_START } from './keys.js';

export const ACCESS_LEVELS = ['read', 'write', 'admin'] as const;
/** `write` includes `read`; `admin` includes both, and on the empty prefix the cluster operations. */
export type Access = (typeof ACCESS_LEVELS)[number];

export interface TokenRule {
  prefix: string;
  access: Access;
}

export interface TokenRecord {
  id: string;
  name: string;
  /** SHA-256 of the token's secret part. */
  secretHash: Uint8Array;
  rules: TokenRule[];
}

/** Tokens the cluster holds at most, rules per token, and the lengths of names and ids. */
export const TOKENS_MAX = 1_024;
export const TOKEN_RULES_MAX = 64;
export const TOKEN_NAME_CHARS_MAX = 128;
export const TOKEN_ID_CHARS_MAX = 64;
export const SECRET_HASH_BYTES = 32;
/** The id of the token the first start with auth on creates (token-op.ts, token_bootstrap). */
export const ROOT_TOKEN_ID = 'root';

/** Ids are printable ASCII without '.', which separates id and secret in a token (src/api/auth). */
const TOKEN_ID = /^[A-Za-z0-9_-]+$/;

export function isTokenId(id: unknown): id is string {
  return typeof id === 'string' && id.length >= 1 && id.length <= TOKEN_ID_CHARS_MAX && TOKEN_ID.test(id);
}

/** What applying an op reads of the table. */
export interface TokenState {
  get(id: string): TokenRecord | null;
  readonly size: number;
  readonly rootBootstrapped: boolean;
}

function decodeRule(value: unknown): TokenRule | string {
  if (!isRecord(value) || typeof value.prefix !== 'string') return 'rule must be {prefix, access}';
  if (value.prefix.includes('\0')) return 'rule.prefix holds a NUL character';
  if (!ACCESS_LEVELS.includes(value.access as Access)) return `unknown access ${String(value.access)}`;
  return { prefix: value.prefix, access: value.access as Access };
}

/** A token record as an op or the store carries it, or why it is none. */
export function decodeTokenRecord(value: unknown): TokenRecord | string {
  if (!isRecord(value) || !isTokenId(value.id)) return 'token.id is not a token id';
  if (typeof value.name !== 'string' || value.name.length === 0 || value.name.length > TOKEN_NAME_CHARS_MAX)
    return `token.name must be 1 to ${TOKEN_NAME_CHARS_MAX} characters`;
  if (!(value.secretHash instanceof Uint8Array) || value.secretHash.byteLength !== SECRET_HASH_BYTES)
    return `token.secretHash must be ${SECRET_HASH_BYTES} bytes`;
  if (!Array.isArray(value.rules) || value.rules.length > TOKEN_RULES_MAX)
    return `token.rules must be a list of at most ${TOKEN_RULES_MAX}`;
  const rules: TokenRule[] = [];
  for (const item of value.rules) {
    const rule = decodeRule(item);
    if (typeof rule === 'string') return `token.rules: ${rule}`;
    rules.push(rule);
  }
  return { id: value.id, name: value.name, secretHash: plainBytes(value.secretHash), rules };
}

export function encodeToken(token: TokenRecord): Buffer {
  return asBuffer(packBody({ id: token.id, name: token.name, secretHash: token.secretHash, rules: token.rules }));
}

function decodeStoredToken(key: Buffer, bytes: Uint8Array): TokenRecord {
  const token = decodeTokenRecord(unpackBody(bytes));
  assert.ok(typeof token !== 'string', `stored token is malformed: ${String(token)}`);
  assert.equal(token.id, idOfTokenKey(key), 'stored token sits under another id');
  return token;
}

/** The changes of one apply batch: `null` revokes; later ops of the batch see earlier ones. */
export class TokenChanges implements TokenState {
  readonly writes = new Map<string, TokenRecord | null>();
  rootBootstrapped: boolean;
  private sizeDelta = 0;

  constructor(private readonly base: TokenState) {
    this.rootBootstrapped = base.rootBootstrapped;
  }

  get(id: string): TokenRecord | null {
    const written = this.writes.get(id);
    return written !== undefined ? written : this.base.get(id);
  }

  get size(): number {
    return this.base.size + this.sizeDelta;
  }

  set(id: string, token: TokenRecord | null): void {
    const existed = this.get(id) !== null;
    this.sizeDelta += (token !== null ? 1 : 0) - (existed ? 1 : 0);
    this.writes.set(id, token);
  }

  get isEmpty(): boolean {
    return this.writes.size === 0 && this.rootBootstrapped === this.base.rootBootstrapped;
  }
}

/** The table as applied; listeners hear of every change (a revoke ends the watches of its token). */
export class TokenTable implements TokenState {
  private readonly listeners = new Set<() => void>();

  private constructor(
    private tokens: Map<string, TokenRecord>,
    private bootstrapped: boolean,
  ) {}

  static async load(db: Database): Promise<TokenTable> {
    const tokens = new Map<string, TokenRecord>();
    for await (const [key, bytes] of db.iterator({ gte: TOKENS_START, lt: TOKENS_END }))
      tokens.set(idOfTokenKey(key), decodeStoredToken(key, bytes));
    return new TokenTable(tokens, (await db.get(ROOT_BOOTSTRAPPED_KEY)) !== undefined);
  }

  get(id: string): TokenRecord | null {
    return this.tokens.get(id) ?? null;
  }

  get size(): number {
    return this.tokens.size;
  }

  get rootBootstrapped(): boolean {
    return this.bootstrapped;
  }

  /** Every token, in id order. */
  list(): TokenRecord[] {
    return [...this.tokens.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  commit(changes: TokenChanges): void {
    if (changes.isEmpty) return;
    for (const [id, token] of changes.writes) {
      if (token === null) this.tokens.delete(id);
      else this.tokens.set(id, token);
    }
    this.bootstrapped = changes.rootBootstrapped;
    this.notify();
  }

  /** After a snapshot install: the installed state's table replaces this one. */
  replaceWith(loaded: TokenTable): void {
    this.tokens = loaded.tokens;
    this.bootstrapped = loaded.bootstrapped;
    this.notify();
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }
}
