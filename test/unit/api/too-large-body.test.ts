// Proves a client that sends a whole too-large body before reading reads the 413 instead of failing with
// EPIPE: within the drain bound the server discards the rest of the body and keeps the connection, so
// the same connection then serves the next request. Real sockets, a listening server, undici as clients
// send.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pool } from 'undici';
import { TOO_LARGE_DRAIN_BYTES_MAX } from '../../../src/api/errors.js';
import { buildTestServer } from './store-service.js';

const VALUE_BYTES_LIMIT = 1024;
/** Far more than loopback's socket buffers hold, so the server answers while the client still writes. */
const BODY_BYTES = 4 * 1024 * 1024;
const ATTEMPTS = 10;

describe('a body over the value limit', () => {
  let server: Awaited<ReturnType<typeof buildTestServer>>;
  let pool: Pool;
  beforeAll(async () => {
    server = await buildTestServer({ valueBytesLimit: VALUE_BYTES_LIMIT });
    const base = await server.app.listen({ host: '127.0.0.1', port: 0 });
    pool = new Pool(base, { connections: 1 });
  });
  afterAll(async () => {
    await pool?.close();
    await server?.app.close();
  });

  const putOf = (bytes: number) => ({
    path: '/v1/kv/big',
    method: 'PUT' as const,
    body: Buffer.alloc(bytes, 7),
    headers: { 'content-type': 'application/octet-stream' },
  });

  it('is answered 413 to a client still sending it, on a connection that stays open for the next request', async () => {
    expect(BODY_BYTES).toBeLessThanOrEqual(TOO_LARGE_DRAIN_BYTES_MAX);
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const answer = await pool.request(putOf(BODY_BYTES));
      expect(answer.statusCode).toBe(413);
      expect(answer.headers.connection).toBe('keep-alive');
      expect(await answer.body.json()).toEqual({
        error: { code: 'value_too_large', message: `request body exceeds this server's limit of ${VALUE_BYTES_LIMIT} bytes` },
      });
    }
    const stored = await pool.request(putOf(VALUE_BYTES_LIMIT));
    expect(stored.statusCode).toBe(200);
    await stored.body.dump();
    const read = await pool.request({ path: '/v1/kv/big', method: 'GET' });
    expect(read.statusCode).toBe(200);
    expect((await read.body.arrayBuffer()).byteLength).toBe(VALUE_BYTES_LIMIT);
  });
});
