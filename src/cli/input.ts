// Where a verb's input comes from: an argument as it is, `@path` for a file, `-` (or nothing) for stdin.
import { readFile } from 'node:fs/promises';
import { UsageError } from './exit-codes.js';

/** More than this from stdin or a file is refused: the server's own request limit is far smaller. */
export const INPUT_BYTES_MAX = 16 * 1024 * 1024;

async function readStdin(): Promise<Buffer> {
  if (process.stdin.isTTY) throw new UsageError('no value given: pass it as an argument, @file, or pipe it to stdin');
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    if (bytes > INPUT_BYTES_MAX) throw new UsageError(`stdin holds more than ${INPUT_BYTES_MAX} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

async function readInputFile(path: string): Promise<Buffer> {
  try {
    const bytes = await readFile(path);
    if (bytes.length > INPUT_BYTES_MAX) throw new UsageError(`${path} holds more than ${INPUT_BYTES_MAX} bytes`);
    return bytes;
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`cannot read ${path}: ${(err as Error).message}`);
  }
}

/** `arg` itself, the file `@path`, or stdin for `-` / undefined. */
export async function readInput(arg: string | undefined): Promise<Uint8Array | string> {
  if (arg === undefined || arg === '-') return readStdin();
  if (arg.startsWith('@')) return readInputFile(arg.slice(1));
  return arg;
}
