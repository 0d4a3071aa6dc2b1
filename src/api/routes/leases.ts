// Leases (etcd's lease grant / keepalive / revoke): POST /v1/leases?ttl=30s grants one, POST
// /v1/leases/{id}/keepalive restarts its countdown, DELETE /v1/leases/{id} revokes it and deletes its
// keys, answering with the revision of its last delete. Attach keys with PUT /v1/kv/{key}?lease={id}
// (or ?ttl= for a lease of its own, which the reply names). GET /v1/leases pages through the leases,
// GET /v1/leases/{id} reads one (etcd's lease list / timetolive). Expiry is the leader's decision, proposed
// through the log (src/runtime/lease-expiry.ts), so only the leader knows a lease's time left.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { OpResult } from '../../store/ops.js';
import type { KvService } from '../service.js';
import { ttlMsOf } from '../duration.js';
import { expectResult, leaseNotFound } from '../results.js';
import {
  LEASE_KEY_NAMES_MAX,
  LeaseBody,
  LeaseGrantQuery,
  LeaseId,
  LeaseListBody,
  LeaseListQuery,
  LeaseReadBody,
  LeaseReadQuery,
  LeaseRevokeBody,
  LIST_LIMIT_DEFAULT,
  NoQuery,
  WriteHeaders,
} from '../schemas.js';
import { errorResponses, HEADERS, success, THROUGH_THE_LOG, WRITE } from '../responses.js';
import { readLocal } from '../consistency.js';
import { keyedSubmit } from '../keyed-submit.js';
import { Type } from '@fastify/type-provider-typebox';

/** A revoke deletes at most DELETE_RANGE_KEYS_MAX keys per op; this bounds the ops one DELETE submits. */
export const LEASE_REVOKE_OPS_MAX = 100;

const LeaseParams = Type.Object({ id: LeaseId });
/** Lease writes take no body, and every one goes through the log. */
const LEASE_ERRORS = { 415: ['unsupported_media_type'], ...WRITE } as const;
/** An id with a '/' in it names no route (not_found); one longer than the router's parameter limit is refused before it is read. */
const BY_ID_PATH = { 404: ['lease_not_found', 'not_found'], 414: ['uri_too_long'] } as const;
const BY_ID = { ...LEASE_ERRORS, ...BY_ID_PATH } as const;

const LIST_SCHEMA = {
  operationId: 'listLeases',
  summary: 'List the leases in id order, a page at a time',
  tags: ['leases'],
  querystring: LeaseListQuery,
  response: { 200: success(LeaseListBody, 'one page, at one revision', HEADERS.revision), ...errorResponses(THROUGH_THE_LOG) },
};

const READ_SCHEMA = {
  operationId: 'readLease',
  summary: 'Read a lease: its TTL, its keys and (on the leader) the time left',
  tags: ['leases'],
  params: LeaseParams,
  querystring: LeaseReadQuery,
  response: {
    200: success(LeaseReadBody, 'the lease, at one revision', HEADERS.revision),
    ...errorResponses({ ...THROUGH_THE_LOG, ...BY_ID_PATH }),
  },
};

const GRANT_SCHEMA = {
  operationId: 'grantLease',
  summary: 'Grant a lease with a time to live',
  tags: ['leases'],
  querystring: LeaseGrantQuery,
  headers: WriteHeaders,
  response: { 200: success(LeaseBody, 'granted'), ...errorResponses(LEASE_ERRORS) },
};

const KEEPALIVE_SCHEMA = {
  operationId: 'keepAliveLease',
  summary: "Restart a lease's countdown",
  tags: ['leases'],
  params: LeaseParams,
  querystring: NoQuery,
  headers: WriteHeaders,
  response: { 200: success(LeaseBody, 'kept alive'), ...errorResponses(BY_ID) },
};

const REVOKE_SCHEMA = {
  operationId: 'revokeLease',
  summary: 'Revoke a lease and delete its keys',
  tags: ['leases'],
  params: LeaseParams,
  querystring: NoQuery,
  headers: WriteHeaders,
  response: { 200: success(LeaseRevokeBody, 'revoked', HEADERS.revision), ...errorResponses(BY_ID) },
};

function expectLease(result: OpResult): Extract<OpResult, { type: 'lease' }> {
  if (result.type === 'lease_not_found') throw leaseNotFound(result.lease, result.revision);
  return expectResult(result, 'lease');
}

export const leaseRoutes: FastifyPluginAsyncTypebox<{ service: KvService }> = async (app, { service }) => {
  app.get('/v1/leases', { schema: LIST_SCHEMA }, async (request, reply) => {
    const { after, limit = LIST_LIMIT_DEFAULT, consistency } = request.query;
    const page = await readLocal(service, consistency, (local) =>
      local.readLeasePage({ limit, ...(after === undefined ? {} : { after }) }),
    );
    reply.header('x-mrtom-revision', String(page.revision));
    return page;
  });

  app.get('/v1/leases/:id', { schema: READ_SCHEMA }, async (request, reply) => {
    const { id } = request.params;
    const { keys = false, consistency } = request.query;
    const read = await readLocal(service, consistency, (local) => local.readLease(id, keys ? LEASE_KEY_NAMES_MAX : undefined));
    if (read.lease === null) throw leaseNotFound(id, read.revision);
    reply.header('x-mrtom-revision', String(read.revision));
    return {
      revision: read.revision,
      lease: id,
      ...read.lease,
      remainingMs: await service.leaseRemainingMs(id),
      ...(read.keyNames === undefined ? {} : { keyNames: read.keyNames, moreKeys: read.lease.keys > read.keyNames.length }),
    };
  });

  app.post('/v1/leases', { schema: GRANT_SCHEMA }, async (request) => {
    const grant = expectLease(
      await keyedSubmit(service, request.headers)({ type: 'lease_grant', ttlMs: ttlMsOf('ttl', request.query.ttl) }),
    );
    return { lease: grant.lease, ttlMs: grant.ttlMs };
  });

  app.post('/v1/leases/:id/keepalive', { schema: KEEPALIVE_SCHEMA }, async (request) => {
    const lease = expectLease(await keyedSubmit(service, request.headers)({ type: 'lease_keepalive', lease: request.params.id }));
    return { lease: lease.lease, ttlMs: lease.ttlMs };
  });

  app.delete('/v1/leases/:id', { schema: REVOKE_SCHEMA }, async (request, reply) => {
    const submit = keyedSubmit(service, request.headers);
    let deleted = 0;
    let revision = 0;
    for (let ops = 0; ops < LEASE_REVOKE_OPS_MAX; ops++) {
      // A retry of the whole DELETE replays each revoke op it had applied: each has a part key of its own.
      const result = await submit({ type: 'lease_revoke', lease: request.params.id }, ops === 0 ? undefined : String(ops));
      if (result.type === 'lease_not_found') {
        if (ops === 0) throw leaseNotFound(result.lease, result.revision);
        break; // The leader's expiry finished it meanwhile.
      }
      const revoked = expectResult(result, 'lease_revoked');
      deleted += revoked.deleted;
      revision = revoked.revision;
      reply.header('x-mrtom-revision', String(revision));
      if (!revoked.more) return { revision, deleted, more: false };
    }
    return { revision, deleted, more: true };
  });
};
