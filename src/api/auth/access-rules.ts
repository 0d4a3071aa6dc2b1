// Per-prefix rules (Consul's key_prefix rules): a rule grants its access to every key starting with its
// prefix; `write` includes `read`, `admin` includes both. A prefix (a listing, a watch, a prefix delete)
// is granted only when one rule covers all of it: its rule prefix is a prefix of the asked prefix. A
// token with `app/` may list `app/x/` but not `` (all keys), which would show keys outside `app/`.
import type { Access, TokenRule } from '../../store/token-table.js';

const RANK: Record<Access, number> = { read: 1, write: 2, admin: 3 };

/** What one request needs: `access` to every key under `prefix` (an exact key is its own prefix). */
export interface Grant {
  access: Access;
  prefix: string;
}

/** Cluster operations (tokens, compaction) need admin over every key. */
export const CLUSTER_ADMIN: Grant = { access: 'admin', prefix: '' };

export function isGranted(rules: readonly TokenRule[], { access, prefix }: Grant): boolean {
  return rules.some((rule) => RANK[rule.access] >= RANK[access] && prefix.startsWith(rule.prefix));
}
