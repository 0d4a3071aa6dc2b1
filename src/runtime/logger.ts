// The process logger: JSON lines on stdout (pino). Pretty printing belongs in a pipe (`| npx pino-pretty`).
import { pino, type Logger } from 'pino';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export function createLogger(level: LogLevel, name: string): Logger {
  return pino({ level, name });
}
