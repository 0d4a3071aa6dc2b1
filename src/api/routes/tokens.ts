// Token administration (docs/api.md, Authentication): POST /v1/auth/tokens issues one, GET lists them
// (never their secrets), DELETE /v1/auth/tokens/{id} revokes one. Every change goes through the log, so
// each replica applies it at the same point; the auth hooks (src/api/auth) require cluster admin here.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import assert from 'node:assert/strict';
import type { KvService } from '../service.js';
import type { TokenRecord } from '../../store/token-table.js';
import { ApiError } from '../errors.js';
import { checkPrefix } from '../keys.js';
import { expectResult } from '../results.js';
import { NoQuery } from '../schemas.js';
import { errorResponses, success, THROUGH_THE_LOG, WRITE } from '../responses.js';
import { issueToken } from '../auth/bearer-token.js';
import { TokenCreated, TokenCreateRequest, TokenList, TokenParams, TokenRevoked } from '../auth/token-schemas.js';

export interface TokenRoutesOptions {
  service: KvService;
  /** The applied tokens, in id order. */
  list(): TokenRecord[];
}

const AUTH_ERRORS = { 401: ['unauthorized'], 403: ['forbidden'], 429: ['too_many_failed_authentications'] } as const;

export const tokenRoutes: FastifyPluginAsyncTypebox<TokenRoutesOptions> = async (app, { service, list }) => {
  app.post(
    '/v1/auth/tokens',
    {
      schema: {
        operationId: 'createToken',
        summary: 'Issue a bearer token with per-prefix rules (admin)',
        tags: ['auth'],
        querystring: NoQuery,
        body: TokenCreateRequest,
        response: {
          200: success(TokenCreated, 'the token, shown this once'),
          ...errorResponses({ 400: ['invalid_key'], 409: ['too_many_tokens'], 415: ['unsupported_media_type'], ...AUTH_ERRORS, ...WRITE }),
        },
      },
    },
    async (request) => {
      const { name, rules } = request.body;
      rules.forEach((rule, i) => checkPrefix(`body/rules/${i}/prefix`, rule.prefix));
      const issued = issueToken();
      const result = await service.submit({ type: 'token_create', token: { id: issued.id, name, secretHash: issued.secretHash, rules } });
      if (result.type === 'too_many_tokens')
        throw new ApiError(409, 'too_many_tokens', 'the cluster holds its limit of tokens; revoke some first');
      // 72 random bits of id do not collide; a refusal here would be a bug.
      assert.ok(expectResult(result, 'token_created').created, `token id ${issued.id} was taken`);
      return { id: issued.id, token: issued.token };
    },
  );

  app.get(
    '/v1/auth/tokens',
    {
      schema: {
        operationId: 'listTokens',
        summary: 'List the tokens: ids, names and rules, never secrets (admin)',
        tags: ['auth'],
        querystring: NoQuery,
        response: { 200: success(TokenList, 'every token, in id order'), ...errorResponses({ ...AUTH_ERRORS, ...THROUGH_THE_LOG }) },
      },
    },
    async () => {
      await service.barrier(); // linearizable, like every read by default
      return { tokens: list().map(({ id, name, rules }) => ({ id, name, rules })) };
    },
  );

  app.delete(
    '/v1/auth/tokens/:id',
    {
      schema: {
        operationId: 'revokeToken',
        summary: 'Revoke a token on every replica; its open watches end (admin)',
        tags: ['auth'],
        querystring: NoQuery,
        params: TokenParams,
        response: {
          200: success(TokenRevoked, 'revoked'),
          ...errorResponses({ 404: ['token_not_found', 'not_found'], 415: ['unsupported_media_type'], ...AUTH_ERRORS, ...WRITE }),
        },
      },
    },
    async (request) => {
      const { id } = request.params;
      const result = expectResult(await service.submit({ type: 'token_revoke', id }), 'token_revoked');
      if (result.revoked === 0) throw new ApiError(404, 'token_not_found', `token ${id} does not exist (revoked or never issued)`);
      return { id, revoked: true as const };
    },
  );
};
