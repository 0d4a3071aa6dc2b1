// Response schemas for route definitions: every status a route can answer, each error status with the
// codes it carries (as an enum in the body schema, so /openapi.json lists them) and the headers that
// come with it. Statuses every request can meet, whatever its route, are added to each route here.
import { Type, type TSchema } from '@fastify/type-provider-typebox';
import { ERROR_CODE_MEANINGS, type ErrorCode } from './error-codes.js';
import { integer } from './schemas.js';

/** Response headers, each described once. */
export const HEADERS = {
  revision: { 'x-mrtom-revision': integer(0, { description: 'the store revision the answer is at' }) },
  etag: { etag: Type.String({ description: 'the key\'s modRevision as an entity tag, e.g. "42"' }) },
  retryAfter: { 'retry-after': integer(1, { description: 'seconds to wait before retrying (this replica, or another at once)' }) },
  challenge: { 'www-authenticate': Type.String({ description: 'Bearer realm="mrtom-kv": send Authorization: Bearer <token>' }) },
};

type Headers = Record<string, TSchema>;

/** Codes any request may meet before or around its route: a malformed request, a timeout, an Expect
 *  that cannot be met, oversized headers, a bug, a node stopping. */
const EVERY_ROUTE: Partial<Record<number, readonly ErrorCode[]>> = {
  400: ['bad_request'],
  408: ['request_timeout'],
  417: ['expectation_failed'],
  431: ['request_header_fields_too_large'],
  500: ['internal'],
  503: ['shutting_down'],
};

/** What a request that goes through the log (a write, a read barrier) may meet there (service-errors.ts). */
export const THROUGH_THE_LOG = { 503: ['unavailable', 'overloaded'], 504: ['commit_timeout'] } as const;
/** What every write may answer besides: through the log, under an Idempotency-Key. */
export const WRITE = { ...THROUGH_THE_LOG, 422: ['idempotency_key_reused'] } as const;

/** Error fields some codes add to the body (errors.ts ApiError details). */
const DETAILS: Partial<Record<ErrorCode, Record<string, TSchema>>> = {
  precondition_failed: {
    modRevision: Type.Optional(Type.Union([integer(0), Type.Null()], { description: "the key's current modRevision, null when absent" })),
  },
  compacted: {
    oldestRevision: Type.Optional(integer(1, { description: 'the oldest revision still readable, and a watch can start from' })),
  },
};

/** The error body, `code` one of `codes`. */
export function errorBody(codes: readonly ErrorCode[]) {
  return Type.Object({
    error: Type.Object({
      code: Type.String({ enum: [...codes], description: 'stable snake_case code clients switch on' }),
      message: Type.String({ description: 'what went wrong, naming the field or header at fault' }),
      ...Object.assign({}, ...codes.map((code) => DETAILS[code] ?? {})),
    }),
  });
}

/** Codes whose response says, in X-Mrtom-Revision, the store revision they were decided at. */
const AT_A_REVISION: readonly ErrorCode[] = ['key_not_found', 'lease_not_found', 'precondition_failed', 'future_revision'];

/** An error response: the body, what each of its codes means, and the headers that come with them. */
function errorResponse(codes: readonly ErrorCode[]) {
  const retryable = codes.some((code) =>
    ['unavailable', 'overloaded', 'shutting_down', 'too_many_watches', 'too_many_failed_authentications'].includes(code),
  );
  const headers: Headers = { ...(retryable ? HEADERS.retryAfter : {}), ...(codes.includes('unauthorized') ? HEADERS.challenge : {}) };
  if (codes.some((code) => AT_A_REVISION.includes(code))) Object.assign(headers, HEADERS.revision);
  return success(errorBody(codes), codes.map((code) => `${code}: ${ERROR_CODE_MEANINGS[code]}`).join('; '), headers);
}

/** The error responses of a route: the codes `specific` to it by status, merged with those every route may meet. */
export function errorResponses(specific: Partial<Record<number, readonly ErrorCode[]>>) {
  const statuses = new Set([...Object.keys(EVERY_ROUTE), ...Object.keys(specific)].map(Number));
  const responses: Record<number, TSchema> = {};
  for (const status of [...statuses].sort((a, b) => a - b)) {
    const codes = [...new Set([...(EVERY_ROUTE[status] ?? []), ...(specific[status] ?? [])])];
    responses[status] = errorResponse(codes);
  }
  return responses;
}

/** A success response: its body schema with a description and the headers it carries. */
export function success<T extends TSchema>(schema: T, description: string, headers: Headers = {}): T {
  return { ...schema, description, headers };
}

/** What a guarded route may answer besides when auth is on (docs/api.md, Authentication): 401 without a
 *  valid token, 429 past the failed attempts allowed, and 403 where the token's rules are checked. */
export function authErrorResponses(rulesChecked: boolean): Record<number, TSchema> {
  const responses: Record<number, TSchema> = {
    401: errorResponse(['unauthorized']),
    429: errorResponse(['too_many_failed_authentications']),
  };
  if (rulesChecked) responses[403] = errorResponse(['forbidden']);
  return responses;
}
