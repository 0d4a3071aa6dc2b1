// Every error code the API answers with, and what it means: one list for /openapi.json, which names the
// codes each route can answer with, and for tests that check no answer carries a code not listed.
import type { ServiceErrorCode } from './service-errors.js';

export type ErrorCode =
  | ServiceErrorCode
  | 'bad_request'
  | 'invalid_key'
  | 'invalid_precondition'
  | 'invalid_content_type'
  | 'key_not_found'
  | 'lease_not_found'
  | 'not_found'
  | 'method_not_allowed'
  | 'request_timeout'
  | 'compacted'
  | 'future_revision'
  | 'precondition_failed'
  | 'idempotency_key_reused'
  | 'too_many_ops'
  | 'uri_too_long'
  | 'unsupported_media_type'
  | 'expectation_failed'
  | 'too_many_watches'
  | 'request_header_fields_too_large'
  | 'internal'
  | 'unauthorized'
  | 'forbidden'
  | 'too_many_failed_authentications'
  | 'token_not_found'
  | 'too_many_tokens';

export const ERROR_CODE_MEANINGS: Record<ErrorCode, string> = {
  bad_request: 'a malformed request or a parameter, header or body field out of its schema (the message names it)',
  invalid_key: 'a key or prefix that is not legal (docs/api.md, Keys)',
  invalid_precondition: 'a malformed If-Match or If-None-Match',
  invalid_content_type: 'a Content-Type that is not a media type',
  key_not_found: 'no value under this key (X-Mrtom-Revision says at which revision)',
  lease_not_found: 'no such lease: revoked, expired or never granted',
  not_found: 'no route for this path',
  method_not_allowed: 'the path takes other methods, listed in Allow',
  request_timeout: 'the request was not received in time; the connection is closed',
  compacted: 'the revision asked (a read, a listing page, a watch start) is older than the history kept (oldestRevision says what is)',
  future_revision: 'the revision asked is past the store revision of this replica (X-Mrtom-Revision says which that is)',
  precondition_failed: "the precondition did not hold (modRevision is the key's current one)",
  idempotency_key_reused: 'the Idempotency-Key was used before with another request; nothing was applied',
  value_too_large: 'a PUT body over the value limit, or a txn that does not fit one datagram',
  too_many_ops: 'a txn holds more compares and ops than the server allows',
  uri_too_long: 'a path parameter is longer than the router takes',
  unsupported_media_type: 'a body this route cannot take (the message says what to send)',
  expectation_failed: 'an Expect other than 100-continue',
  too_many_watches: 'over the watch limit of this node (503) or of this client address (429)',
  request_header_fields_too_large: 'the request headers exceed the server limit',
  internal: 'a bug, logged with its cause',
  unauthorized: 'auth is on and the request has no valid token (Authorization: Bearer <token>)',
  forbidden: "the token's rules do not grant this access to this key or prefix",
  too_many_failed_authentications: 'too many failed authentications from this address: retry after Retry-After',
  token_not_found: 'no such token: revoked or never issued',
  too_many_tokens: 'the cluster holds its limit of tokens',
  unavailable: 'no quorum or no sequencer: retry after Retry-After',
  overloaded: 'too many requests in flight on this replica: retry after Retry-After',
  shutting_down: 'this replica is stopping: retry after Retry-After, or on another replica',
  commit_timeout: 'not committed in time: the write may or may not have happened, read before retrying',
};
