// Operating errors a KvService reports; api/errors.ts maps each code to one HTTP status.
export type ServiceErrorCode = 'unavailable' | 'commit_timeout' | 'value_too_large' | 'overloaded' | 'shutting_down';

export class ServiceError extends Error {
  constructor(
    readonly code: ServiceErrorCode,
    message: string,
    /** Seconds a client should wait before retrying (503s). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'ServiceError';
  }
}
