// Exit codes of every client verb, and which error means which: scripts can tell "the answer was no"
// from "I asked wrongly" from "the cluster could not answer".
import { CommanderError } from 'commander';
import { ConfigError } from '../config/cluster.js';
import {
  ForbiddenError,
  InvalidRequestError,
  NotFoundError,
  PreconditionFailedError,
  TimeoutError,
  UnauthorizedError,
  UnavailableError,
} from '../client/index.js';

export const EXIT = {
  ok: 0,
  /** Not found, precondition failed, a txn whose compares failed. */
  negative: 1,
  /** Bad flags or input, or a request the server refused as malformed. */
  usage: 2,
  /** No replica could answer in time: unavailable or timed out. */
  unavailable: 3,
  /** Anything else: a server error, a bug. */
  failure: 4,
  /** No valid token (401), or the token may not do this (403). */
  denied: 5,
  /** Stopped by Ctrl-C in the middle of a request (the shell's 128 + SIGINT). */
  interrupted: 130,
} as const;

/** A mistake in the command line or its input, found by the CLI itself. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export function exitCodeOf(err: unknown): number {
  if (err instanceof Error && err.name === 'AbortError') return EXIT.interrupted;
  if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
  if (err instanceof NotFoundError || err instanceof PreconditionFailedError) return EXIT.negative;
  if (err instanceof UnauthorizedError || err instanceof ForbiddenError) return EXIT.denied;
  if (err instanceof UsageError || err instanceof ConfigError || err instanceof InvalidRequestError) return EXIT.usage;
  if (err instanceof UnavailableError || err instanceof TimeoutError) return EXIT.unavailable;
  return EXIT.failure;
}
