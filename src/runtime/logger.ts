// The process logger: JSON lines on stdout (pino). Pretty printing belongs in a pipe (`| npx pino-pretty`).
import { pino, type Logger } from 'pino';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Wherever a logged object carries request headers, a bearer token is blanked (docs/api.md, Authentication). */
const REDACTED_PATHS = ['req.headers.authorization', 'headers.authorization', '*.headers.authorization'];

export function createLogger(level: LogLevel, name: string): Logger {
  return pino({ level, name, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } });
}
