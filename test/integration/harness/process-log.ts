// The one log file of a test cluster: every process's stdout and stderr, copied line by line so lines of
// different processes never interleave mid-line, and a reader that waits for a pino line a test expects.
import { createInterface } from 'node:readline';
import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { waitFor } from './wait.js';

/** pino's numeric levels, as they appear in the JSON lines. */
export const PINO_LEVEL = { debug: 20, info: 30, warn: 40, error: 50, fatal: 60 } as const;

export interface LogLine {
  level: number;
  msg: string;
  pid: number;
  [field: string]: unknown;
}

export interface ProcessLog {
  path: string;
  /** Copies each line of `stream` into the file; lines of several streams interleave only as whole lines. */
  collect(stream: Readable): void;
  close(): Promise<void>;
}

export function openProcessLog(path: string): ProcessLog {
  const file = createWriteStream(path);
  return {
    path,
    collect(stream) {
      createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => file.write(`${line}\n`));
    },
    close: () => new Promise<void>((resolve) => file.end(resolve)),
  };
}

/** The JSON lines written so far. A line still being written (no newline yet) is not read. */
export async function readLogLines(path: string): Promise<LogLine[]> {
  const complete = (await readFile(path, 'utf8')).split('\n').slice(0, -1);
  // Non-JSON lines (a stack trace on stderr, a Node warning) are output too, but not pino's.
  return complete.filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as LogLine);
}

/** The first line matching `predicate`, waiting for it up to `deadlineMs`. */
export function waitForLogLine(path: string, predicate: (line: LogLine) => boolean, deadlineMs: number): Promise<LogLine> {
  return waitFor(`a matching log line in ${path}`, async () => (await readLogLines(path)).find(predicate), deadlineMs);
}
