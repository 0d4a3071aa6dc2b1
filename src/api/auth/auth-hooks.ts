// Authentication and authorization of every route (docs/api.md, Authentication), as two root hooks so
// every route registered after them is covered: onRequest finds the token (401 without a valid one),
// preHandler — after validation, so the key, prefix or txn body is known — checks its rules (403).
// Failed authentications are counted by reason (never by token or id) and, per client address, limited:
// past the limit a failed attempt is 429, while a valid token from the same address still passes, so
// a misbehaving client cannot lock out the others behind its NAT.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import { Counter, type Registry } from 'prom-client';
import { ApiError } from '../errors.js';
import type { TokenRecord } from '../../store/token-table.js';
import { bearerOf, secretMatches } from './bearer-token.js';
import { isGranted } from './access-rules.js';
import { isOpenRoute, requirementOf } from './route-access.js';

/** Failed authentications a client address may make per window, by default, before they are answered 429. */
export const AUTH_FAILURES_PER_ADDRESS_MAX_DEFAULT = 20;
export const AUTH_FAILURE_WINDOW_MS = 60_000;

/** The applied token table (src/store/token-table.ts) and the wait every read of the store makes. */
export interface AuthTokens {
  get(id: string): TokenRecord | null;
  subscribe(listener: () => void): () => void;
  /** Resolves once every apply answered is in the table (StateStore.readable): a revoke answered by
   *  this replica is in force for the next request. */
  readable(): Promise<void>;
}

export interface AuthOptions {
  tokens: AuthTokens;
  /** /v1/status and /metrics without a token (scrapers that cannot send one). */
  openOperations: boolean;
  failuresPerAddressMax?: number;
  registry: Registry;
}

export interface RequestAuth {
  token: TokenRecord;
  /** Calls `listener` once the token is revoked; returns the unsubscribe function. */
  whenRevoked(listener: () => void): () => void;
}

declare module 'fastify' {
  interface FastifyRequest {
    auth: RequestAuth | null;
  }
}

const BEARER_CHALLENGE = { 'www-authenticate': 'Bearer realm="mrtom-kv"' };

function unauthorized(message: string): ApiError {
  return new ApiError(401, 'unauthorized', message, BEARER_CHALLENGE);
}

export function registerAuth(app: FastifyInstance, { tokens, openOperations, registry, ...options }: AuthOptions): void {
  const failuresMax = options.failuresPerAddressMax ?? AUTH_FAILURES_PER_ADDRESS_MAX_DEFAULT;
  const failures = new Counter({
    name: 'mrtom_auth_failures_total',
    help: 'Requests refused by authentication (missing, malformed, invalid token) or authorization (forbidden)',
    labelNames: ['reason'],
    registers: [registry],
  });
  void app.register(rateLimit, { global: false });
  let limiter: ReturnType<FastifyInstance['createRateLimit']> | null = null;

  const whenRevoked = (token: TokenRecord) => (listener: () => void) => {
    const unsubscribe = tokens.subscribe(() => {
      if (tokens.get(token.id) !== token) {
        unsubscribe();
        listener();
      }
    });
    return unsubscribe;
  };

  const refuse = async (request: FastifyRequest, reason: 'missing' | 'malformed' | 'invalid'): Promise<never> => {
    failures.inc({ reason });
    limiter ??= app.createRateLimit({ max: failuresMax, timeWindow: AUTH_FAILURE_WINDOW_MS });
    const limit = await limiter(request);
    if (!limit.isAllowed && limit.isExceeded) {
      throw new ApiError(
        429,
        'too_many_failed_authentications',
        `more than ${failuresMax} failed authentications from this address in ${AUTH_FAILURE_WINDOW_MS / 1000} s`,
        { 'retry-after': String(limit.ttlInSeconds) },
      );
    }
    if (reason === 'missing') throw unauthorized('this route needs a token: send Authorization: Bearer <token>');
    throw unauthorized('the token is not valid: malformed, unknown or revoked');
  };

  app.decorateRequest('auth', null);
  app.addHook('onRequest', async (request) => {
    if (isOpenRoute(request, openOperations)) return;
    const bearer = bearerOf(request.headers.authorization);
    if (typeof bearer === 'string') return refuse(request, bearer);
    await tokens.readable();
    const token = tokens.get(bearer.id);
    if (token === null || !secretMatches(token, bearer.secret)) return refuse(request, 'invalid');
    request.auth = { token, whenRevoked: whenRevoked(token) };
  });
  app.addHook('preHandler', async (request) => {
    if (request.auth === null) return;
    const requirement = requirementOf(request);
    if (requirement === 'token') return;
    const { rules, name } = request.auth.token;
    const missing = requirement.find((grant) => !isGranted(rules, grant));
    if (missing === undefined) return;
    failures.inc({ reason: 'forbidden' });
    const what = missing.prefix === '' ? 'every key' : `'${missing.prefix}'`;
    throw new ApiError(403, 'forbidden', `token '${name}' has no ${missing.access} access to ${what}`);
  });
}
