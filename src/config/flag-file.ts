// Reads a file a flag names (a certificate, a key, a CA), or fails with a ConfigError naming the flag
// and the reason (ENOENT, EACCES), never a stack trace.
import { readFile } from 'node:fs/promises';
import { ConfigError } from './cluster.js';

export async function readFlagFile(flag: string, path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw new ConfigError(`${flag} ${path}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}
