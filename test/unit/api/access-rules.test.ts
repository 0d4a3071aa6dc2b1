// Proves the per-prefix rule matching and the bearer token format the auth hooks rely on: which rules
// grant which access to a key or a whole prefix, and which Authorization headers name a token. Pure
// functions, table-driven.
import { describe, expect, it } from 'vitest';
import { isGranted } from '../../../src/api/auth/access-rules.js';
import { bearerOf, issueToken, secretMatches } from '../../../src/api/auth/bearer-token.js';
import type { TokenRule } from '../../../src/store/token-table.js';

const rules: TokenRule[] = [
  { prefix: 'app/', access: 'read' },
  { prefix: 'app/cache/', access: 'write' },
  { prefix: 'ops/', access: 'admin' },
];

describe('isGranted', () => {
  it.each([
    ['read', 'app/a', true],
    ['write', 'app/a', false],
    ['write', 'app/cache/x', true],
    ['read', 'app/cache/x', true], // write includes read
    ['write', 'ops/x', true], // admin includes write
    ['admin', 'app/cache/x', false],
    ['read', 'app', false], // 'app' is not under 'app/'
    ['read', 'other/a', false],
    ['read', 'app/', true], // the listing of exactly the rule's prefix
    ['read', '', false], // every key: more than any rule covers
    ['admin', '', false],
  ] as const)('%s on %j: %s', (access, prefix, granted) => {
    expect(isGranted(rules, { access, prefix })).toBe(granted);
  });

  it('grants everything to admin on the empty prefix, nothing to no rules', () => {
    expect(isGranted([{ prefix: '', access: 'admin' }], { access: 'admin', prefix: '' })).toBe(true);
    expect(isGranted([], { access: 'read', prefix: 'a' })).toBe(false);
  });
});

describe('bearer tokens', () => {
  it('reads Bearer <id>.<secret> and checks the secret against its hash', () => {
    const issued = issueToken();
    const parsed = bearerOf(`Bearer ${issued.token}`);
    expect(parsed).toEqual({ id: issued.id, secret: issued.token.slice(issued.id.length + 1) });
    const record = { id: issued.id, name: 'n', secretHash: issued.secretHash, rules: [] };
    expect(secretMatches(record, (parsed as { secret: string }).secret)).toBe(true);
    expect(secretMatches(record, 'wrong')).toBe(false);
    expect(issued.token).not.toContain(Buffer.from(issued.secretHash).toString('base64url'));
  });

  it.each([
    [undefined, 'missing'],
    ['Basic dXNlcjpwYXNz', 'malformed'],
    ['Bearer', 'malformed'],
    ['Bearer nodot', 'malformed'],
    ['Bearer .secret', 'malformed'],
    ['Bearer id.', 'malformed'],
    ['Bearer bad!id.secret', 'malformed'],
  ])('%j is %s', (header, problem) => {
    expect(bearerOf(header)).toBe(problem);
  });
});
