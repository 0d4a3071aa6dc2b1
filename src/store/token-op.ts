// Applying the auth token ops (ops.ts) to the token table: pure, the same on every replica. Token changes
// are not changes of keys, so they leave the store revision as it is and no watch sees them.
import type { KvOp, OpResult } from './ops.js';
import { ROOT_TOKEN_ID, type TokenChanges, type TokenRecord, TOKENS_MAX } from './token-table.js';

export type TokenOp = Extract<KvOp, { type: 'token_create' | 'token_bootstrap' | 'token_revoke' }>;

export function isTokenOp(op: KvOp): op is TokenOp {
  return op.type === 'token_create' || op.type === 'token_bootstrap' || op.type === 'token_revoke';
}

export function applyTokenOp(op: TokenOp, revision: number, tokens: TokenChanges): OpResult {
  switch (op.type) {
    case 'token_revoke': {
      const existed = tokens.get(op.id) !== null;
      if (existed) tokens.set(op.id, null);
      return { type: 'token_revoked', revision, id: op.id, revoked: existed ? 1 : 0 };
    }
    case 'token_bootstrap': {
      // Once only, ever: a root revoked later is not brought back by a replica restarting with --auth.
      if (tokens.rootBootstrapped || op.token.id !== ROOT_TOKEN_ID)
        return { type: 'token_created', revision, id: op.token.id, created: false };
      tokens.rootBootstrapped = true;
      return create(op.token, revision, tokens);
    }
    case 'token_create':
      // The root id belongs to the bootstrap.
      if (op.token.id === ROOT_TOKEN_ID) return { type: 'token_created', revision, id: op.token.id, created: false };
      return create(op.token, revision, tokens);
  }
}

function create(token: TokenRecord, revision: number, tokens: TokenChanges): OpResult {
  if (tokens.get(token.id) !== null) return { type: 'token_created', revision, id: token.id, created: false };
  if (tokens.size >= TOKENS_MAX) return { type: 'too_many_tokens', revision };
  tokens.set(token.id, token);
  return { type: 'token_created', revision, id: token.id, created: true };
}
