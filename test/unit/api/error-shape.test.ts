// Proves every error, from every layer, is {"error": {"code", "message"}} with the right status: what Node
// rejects before Fastify sees a request (sent as raw bytes over a real socket), a wrong method on any
// route (405 with Allow), and a request that arrives while the server closes (503 shutting_down).
import { describe, expect, it } from 'vitest';
import { buildTestServer } from './store-service.js';
import { rawConnect, rawRequest } from './raw-http.js';

async function listening() {
  const server = await buildTestServer();
  const base = await server.app.listen({ host: '127.0.0.1', port: 0 });
  return { ...server, base };
}

const LONG_HEADER = `X-Long: ${'a'.repeat(20_000)}\r\n`;

describe('errors before any route runs', () => {
  it.each([
    { what: 'a malformed request line', bytes: 'GARBAGE\r\n\r\n', status: 400, code: 'bad_request' },
    {
      what: 'a bad Content-Length',
      bytes: 'PUT /v1/kv/k HTTP/1.1\r\nHost: a\r\nContent-Length: abc\r\n\r\n',
      status: 400,
      code: 'bad_request',
    },
    {
      what: 'bad chunking',
      bytes: 'PUT /v1/kv/k HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
      status: 400,
      code: 'bad_request',
    },
    { what: 'a header without a colon', bytes: 'GET /livez HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n', status: 400, code: 'bad_request' },
    {
      what: 'headers over the size limit',
      bytes: `GET /livez HTTP/1.1\r\nHost: a\r\n${LONG_HEADER}\r\n`,
      status: 431,
      code: 'request_header_fields_too_large',
    },
    {
      what: 'an Expect it cannot meet',
      bytes: 'GET /livez HTTP/1.1\r\nHost: a\r\nExpect: teapot\r\n\r\n',
      status: 417,
      code: 'expectation_failed',
    },
  ])('answers $what with $status $code in our shape, then closes the connection', async ({ bytes, status, code }) => {
    const { base, logs } = await listening();
    const answer = await rawRequest(base, bytes);
    expect(answer.status).toBe(status);
    expect(answer.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(JSON.parse(answer.body)).toEqual({ error: { code, message: expect.any(String) } });
    expect(answer.headers.connection).toBe('close');
    await answer.closedByServer;
    expect(logs.filter((line) => line.level >= 50)).toEqual([]);
  });

  it('says which part of the request was malformed', async () => {
    const { base } = await listening();
    const answer = await rawRequest(base, 'PUT /v1/kv/k HTTP/1.1\r\nHost: a\r\nContent-Length: abc\r\n\r\n');
    expect(JSON.parse(answer.body).error.message).toBe(
      'malformed HTTP request: Invalid character in Content-Length (HPE_INVALID_CONTENT_LENGTH)',
    );
  });

  it('answers an HTTP/1.1 request without Host with 400 bad_request in our shape', async () => {
    const { base } = await listening();
    const answer = await rawRequest(base, 'GET /livez HTTP/1.1\r\n\r\n');
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body)).toEqual({ error: { code: 'bad_request', message: 'an HTTP/1.1 request must carry a Host header' } });
  });
});

const ROUTES: [string, string, string][] = [
  ['/livez', 'POST', 'GET, HEAD'],
  ['/readyz', 'PUT', 'GET, HEAD'],
  ['/metrics', 'DELETE', 'GET, HEAD'],
  ['/openapi.json', 'POST', 'GET, HEAD'],
  ['/v1/kv', 'PUT', 'GET, HEAD, DELETE'],
  ['/v1/kv/some/key', 'POST', 'GET, HEAD, DELETE, PUT'],
  ['/v1/txn', 'GET', 'POST'],
  ['/v1/status', 'POST', 'GET, HEAD'],
  ['/v1/watch', 'DELETE', 'GET'],
  ['/v1/leases', 'PUT', 'GET, HEAD, POST'],
  ['/v1/leases/7/keepalive', 'DELETE', 'POST'],
  ['/v1/leases/7', 'POST', 'GET, HEAD, DELETE'],
];

describe('wrong methods', () => {
  it.each(ROUTES)('%s answers %s with 405 method_not_allowed and Allow: %s', async (url, method, allow) => {
    const { app, service } = await buildTestServer();
    const res = await app.inject({ method: method as 'GET', url });
    expect(res.statusCode).toBe(405);
    expect(res.headers.allow).toBe(allow);
    expect(res.json()).toEqual({ error: { code: 'method_not_allowed', message: `${method} is not allowed on ${url}; use ${allow}` } });
    expect(service.submitted).toEqual([]);
  });

  it("answers a lease id over the router's parameter length with 414 uri_too_long in our shape", async () => {
    const { app } = await buildTestServer();
    const res = await app.inject({ method: 'POST', url: `/v1/leases/${'1'.repeat(101)}/keepalive` });
    expect(res.statusCode).toBe(414);
    expect(res.json()).toEqual({ error: { code: 'uri_too_long', message: expect.any(String) } });
  });

  it('still answers an unknown path with 404 not_found', async () => {
    const { app } = await buildTestServer();
    const res = await app.inject({ method: 'POST', url: '/v1/nothing' });
    expect(res.statusCode).toBe(404);
    expect(res.headers.allow).toBeUndefined();
  });
});

describe('while the server closes', () => {
  it('answers a request that arrives meanwhile with 503 shutting_down, and ends every connection it answers', async () => {
    const { app, base, service } = await listening();
    let release!: () => void;
    const barrierReached = new Promise<void>((reached) => {
      service.barrier = () => {
        reached();
        return new Promise<void>((resolve) => (release = resolve));
      };
    });
    // `late` starts a request before close() and finishes it after; its first bytes are written before
    // `held` even connects, so the server has read them by the time `held`'s read reaches the barrier.
    const late = await rawConnect(base);
    late.socket.write('GET /livez HTTP/1.1\r\nHost: a\r\n');
    const held = await rawConnect(base);
    held.socket.write('GET /v1/kv/a HTTP/1.1\r\nHost: a\r\n\r\n');
    await barrierReached;
    const closed = app.close();
    late.socket.write('\r\n');
    const refused = await late.response;
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('1');
    expect(JSON.parse(refused.body)).toEqual({ error: { code: 'shutting_down', message: 'this replica is shutting down' } });
    release();
    const answered = await held.response;
    expect(answered.status).toBe(404);
    expect(answered.headers.connection).toBe('close');
    // Neither connection holds close() up: both end once answered.
    await Promise.all([late.closed, held.closed, closed]);
  });
});
