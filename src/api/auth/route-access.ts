// What each route needs of a token (docs/api.md, Authentication), decided from the route, the method and
// the validated request: a route not named here needs cluster admin, so a route added without a rule
// fails closed. Keys and prefixes are checked before anything is read or submitted, so a 403 says the
// same whether or not the key exists, and a txn is refused whole before any of it applies.
import type { FastifyRequest } from 'fastify';
import { keyFromUrl } from '../keys.js';
import { CLUSTER_ADMIN, type Grant } from './access-rules.js';

/** `token`: any valid token; else every grant listed. */
export type Requirement = 'token' | Grant[];

/** Routes anyone may call: health and the API description. Replica-to-replica routes are not on the
 *  client port at all (the peer listener serves them, under the cluster key). */
const OPEN_ROUTES = new Set(['/livez', '/readyz', '/openapi.json']);
const OPERATIONS_ROUTES = new Set(['/v1/status', '/metrics']);
const LEASE_ROUTES = new Set(['/v1/leases', '/v1/leases/:id', '/v1/leases/:id/keepalive']);

/** What a route asks of a caller, as far as it is known without the request: nothing, any valid token, or
 *  the grants requirementOf works out (a 403 is possible only then). */
export type RouteGuard = 'open' | 'token' | 'grants';

export function guardOf(route: string, method: string, openOperations: boolean): RouteGuard {
  if (OPEN_ROUTES.has(route)) return 'open';
  if (OPERATIONS_ROUTES.has(route)) return openOperations ? 'open' : 'token';
  if (LEASE_ROUTES.has(route) && method !== 'DELETE') return 'token';
  return 'grants';
}

/** Whether the request needs no token: an open route, or none matched (a 404 or 405 leaks nothing). */
export function isOpenRoute(request: FastifyRequest, openOperations: boolean): boolean {
  const route = request.routeOptions.url;
  return route === undefined || guardOf(route, request.method, openOperations) === 'open';
}

interface TxnRequestBody {
  compare?: Array<{ key: string }>;
  success?: TxnRequestOp[];
  failure?: TxnRequestOp[];
}
type TxnRequestOp = { put: { key: string } } | { get: { key: string } } | { delete: { key: string } } | { range: { prefix: string } };

function txnGrants(body: TxnRequestBody): Grant[] {
  const grants: Grant[] = (body.compare ?? []).map(({ key }) => ({ access: 'read', prefix: key }));
  for (const op of [...(body.success ?? []), ...(body.failure ?? [])]) {
    if ('put' in op) grants.push({ access: 'write', prefix: op.put.key });
    else if ('delete' in op) grants.push({ access: 'write', prefix: op.delete.key });
    else if ('get' in op) grants.push({ access: 'read', prefix: op.get.key });
    else grants.push({ access: 'read', prefix: op.range.prefix });
  }
  return grants;
}

const READS = new Set(['GET', 'HEAD']);

export function requirementOf(request: FastifyRequest): Requirement {
  const route = request.routeOptions.url;
  const query = (request.query ?? {}) as { prefix?: string; key?: string };
  const access = READS.has(request.method) ? 'read' : 'write';
  switch (route) {
    case '/v1/kv/*':
      return [{ access, prefix: keyFromUrl(request.url) }];
    case '/v1/kv':
      return [{ access, prefix: query.prefix ?? '' }];
    case '/v1/watch':
      return [{ access: 'read', prefix: query.key ?? query.prefix ?? '' }];
    case '/v1/txn':
      return txnGrants(request.body as TxnRequestBody);
  }
  if (route !== undefined && guardOf(route, request.method, false) === 'token') return 'token';
  // A revoke deletes every key of the lease, whichever they are: only a token that may write them all.
  if (route !== undefined && LEASE_ROUTES.has(route)) return [{ access: 'write', prefix: '' }];
  return [CLUSTER_ADMIN];
}
