// Checks that every acknowledged write is readable, byte for byte, from every given replica.
import { expect } from 'vitest';
import { get } from './http.js';

const READ_CONCURRENCY = 64;

export async function expectAllReadable(urls: readonly string[], acknowledged: ReadonlyMap<string, string>): Promise<void> {
  const keys = [...acknowledged.keys()];
  for (const url of urls) {
    const wrong: string[] = [];
    for (let i = 0; i < keys.length; i += READ_CONCURRENCY) {
      const chunk = keys.slice(i, i + READ_CONCURRENCY);
      const reads = await Promise.all(chunk.map((k) => get(url, k)));
      reads.forEach((read, j) => {
        const key = chunk[j]!;
        if (read.status !== 200 || read.body.toString() !== acknowledged.get(key))
          wrong.push(`${key}: ${read.status} ${read.body.toString().slice(0, 100)}`);
      });
    }
    expect(wrong.slice(0, 5), `${wrong.length} acknowledged writes wrong on ${url}`).toEqual([]);
  }
}
