// The SDK's typed errors. Each carries the server's stable `code` (docs/api.md, Errors) and says whether
// the operation may have happened: true only when an attempt of a write ended without an answer (a
// dropped connection, a timeout, a 504), so the caller knows when to read before acting again.

export interface ErrorContext {
  /** The server's snake_case code, or one of the SDK's own (`connection_failed`, `timeout`). */
  code: string;
  /** The HTTP status of the answer this error came from; undefined when there was none. */
  status?: number;
  /** The endpoint that gave the answer (or failed to). */
  endpoint?: string;
  /** An earlier attempt of this write may have been applied, so this answer may not be the whole story. */
  mayHaveHappened?: boolean;
  cause?: unknown;
}

export class MrtomError extends Error {
  readonly code: string;
  readonly status: number | undefined;
  readonly endpoint: string | undefined;
  readonly mayHaveHappened: boolean;

  constructor(message: string, context: ErrorContext) {
    super(message, context.cause === undefined ? undefined : { cause: context.cause });
    this.name = new.target.name;
    this.code = context.code;
    this.status = context.status;
    this.endpoint = context.endpoint;
    this.mayHaveHappened = context.mayHaveHappened ?? false;
  }
}

/** 404: no such key, lease or route. (`get` of a missing key is not an error: it returns undefined.) */
export class NotFoundError extends MrtomError {}

/** 412: a CAS precondition did not hold. `modRevision` is the key's current one (null: absent). */
export class PreconditionFailedError extends MrtomError {
  constructor(
    message: string,
    context: ErrorContext,
    readonly modRevision: number | null,
  ) {
    super(message, context);
  }
}

/** 410: a read, listing page or watch start older than the history kept (a watch: re-list, then watch
 *  from the list's revision + 1). */
export class CompactedError extends MrtomError {
  constructor(
    message: string,
    context: ErrorContext,
    readonly oldestRevision: number,
  ) {
    super(message, context);
  }
}

/** No endpoint could serve the request: connections refused or reset, or 503 from every one tried. */
export class UnavailableError extends MrtomError {
  constructor(
    message: string,
    context: ErrorContext,
    /** The server's Retry-After, when it gave one. */
    readonly retryAfterMs?: number,
  ) {
    super(message, context);
  }
}

/** The call's deadline passed, or the server answered 504 commit_timeout. See `mayHaveHappened`. */
export class TimeoutError extends MrtomError {}

/** The server refused the request as malformed or too large (400, 405, 413, 422): retrying will not help. */
export class InvalidRequestError extends MrtomError {}

/** 401: auth is on and the client sent no valid token (none, malformed, unknown or revoked). */
export class UnauthorizedError extends MrtomError {}

/** 403: the token's rules do not grant this access to the key or prefix (the same whether or not it exists). */
export class ForbiddenError extends MrtomError {}

/** Any other answer the SDK does not expect (5xx other than 503/504, unreadable bodies). */
export class ServerError extends MrtomError {}
