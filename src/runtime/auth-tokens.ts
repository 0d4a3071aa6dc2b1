// The applied token table as the API's auth hooks and the root-token bootstrap see it (src/api/auth).
import type { AuthTokens } from '../api/auth/auth-hooks.js';
import type { StateStore } from '../store/state-store.js';
import type { TokenRecord } from '../store/token-table.js';

export type AppliedTokens = AuthTokens & { list(): TokenRecord[]; readonly rootBootstrapped: boolean };

export function appliedTokensOf(state: StateStore): AppliedTokens {
  const tokens = state.tokens;
  return {
    get: (id) => tokens.get(id),
    list: () => tokens.list(),
    subscribe: (listener) => tokens.subscribe(listener),
    readable: () => state.readable(),
    get rootBootstrapped() {
      return tokens.rootBootstrapped;
    },
  };
}
