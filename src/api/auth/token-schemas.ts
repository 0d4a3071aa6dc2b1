// TypeBox schemas of the token routes (docs/api.md, Authentication): they validate, serialize and
// feed /openapi.json like those of schemas.ts.
import { Type } from '@fastify/type-provider-typebox';
import { TOKEN_ID_CHARS_MAX, TOKEN_NAME_CHARS_MAX, TOKEN_RULES_MAX } from '../../store/token-table.js';

const TokenId = Type.String({ pattern: '^[A-Za-z0-9_-]+$', minLength: 1, maxLength: TOKEN_ID_CHARS_MAX, description: 'a token id' });

const Rule = Type.Object(
  {
    prefix: Type.String({ maxLength: 4096, description: "the keys the rule covers: every key starting with it ('' is every key)" }),
    access: Type.Union([Type.Literal('read'), Type.Literal('write'), Type.Literal('admin')], {
      description: 'read; write (includes read); admin (includes write; on the prefix "" also tokens and compaction)',
    }),
  },
  { additionalProperties: false },
);

export const TokenCreateRequest = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: TOKEN_NAME_CHARS_MAX, description: 'what the token is for' }),
    rules: Type.Array(Rule, { minItems: 1, maxItems: TOKEN_RULES_MAX }),
  },
  { additionalProperties: false },
);

export const TokenCreated = Type.Object({
  id: TokenId,
  token: Type.String({ description: 'the bearer token, `<id>.<secret>`: shown this once, stored only hashed' }),
});

export const TokenList = Type.Object({
  tokens: Type.Array(Type.Object({ id: TokenId, name: Type.String(), rules: Type.Array(Rule) })),
});

export const TokenParams = Type.Object({ id: TokenId });

export const TokenRevoked = Type.Object({ id: TokenId, revoked: Type.Literal(true) });
