// Splits a byte stream into lines (NDJSON). Written out rather than with node:readline, whose interface
// re-emits a stream error after its iterator is closed (as undici's body does when a watch is ended early),
// which would crash the process.
import type { Readable } from 'node:stream';

/** A watch frame is one revision's events; no legitimate line comes near this. */
export const LINE_BYTES_MAX = 64 * 1024 * 1024;

export async function* lines(body: Readable): AsyncGenerator<string> {
  let carry: Buffer = Buffer.alloc(0);
  for await (const chunk of body as AsyncIterable<Buffer>) {
    let buffer: Buffer = carry.length === 0 ? chunk : Buffer.concat([carry, chunk]);
    let newline = buffer.indexOf(0x0a);
    while (newline !== -1) {
      yield buffer.subarray(0, newline).toString('utf8');
      buffer = buffer.subarray(newline + 1);
      newline = buffer.indexOf(0x0a);
    }
    if (buffer.length > LINE_BYTES_MAX) throw new RangeError(`an NDJSON line is over ${LINE_BYTES_MAX} bytes`);
    carry = buffer;
  }
  // A last line without its newline is a frame cut short by a dropped connection: never delivered.
}
