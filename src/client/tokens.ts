// Auth tokens (docs/api.md, Authentication), for a client whose own token is cluster admin: issue one
// with per-prefix rules, list them (never their secrets), revoke one. Issuing and revoking are not
// repeated after an attempt that ended without an answer: list the tokens before trying again.
import type { JsonCaller } from './write-request.js';

export type AccessLevel = 'read' | 'write' | 'admin';

export interface TokenRule {
  prefix: string;
  access: AccessLevel;
}

export interface IssuedToken {
  id: string;
  /** The bearer token: shown this once, the cluster keeps only its hash. */
  token: string;
}

export interface TokenInfo {
  id: string;
  name: string;
  rules: TokenRule[];
}

export class Tokens {
  constructor(private readonly call: JsonCaller) {}

  create(name: string, rules: readonly TokenRule[], options: { signal?: AbortSignal } = {}): Promise<IssuedToken> {
    return this.call<IssuedToken>({
      method: 'POST',
      path: '/v1/auth/tokens',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name, rules }),
      repeatable: 'no',
      ...options,
    });
  }

  async list(options: { signal?: AbortSignal } = {}): Promise<TokenInfo[]> {
    return (await this.call<{ tokens: TokenInfo[] }>({ method: 'GET', path: '/v1/auth/tokens', repeatable: 'read', ...options })).tokens;
  }

  async revoke(id: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    await this.call({ method: 'DELETE', path: `/v1/auth/tokens/${encodeURIComponent(id)}`, repeatable: 'no', ...options });
  }
}
