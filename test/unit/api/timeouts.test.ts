// Proves a slow client holds nothing for long: headers that never finish, a silent connection and a body
// trickled byte by byte are each cut with 408 request_timeout in our shape once their time is up, while a
// watch stream, whose request is complete, outlives the timeouts; and that the timeouts are checked at
// start-up — over real sockets on a listening server with short timeouts.
import { Writable } from 'node:stream';
import pino from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { request } from 'undici';
import { buildApiServer } from '../../../src/api/server.js';
import { HTTP_TIMEOUT_MS_MAX, HTTP_TIMEOUT_MS_MIN } from '../../../src/api/http-timeouts.js';
import { buildTestServer } from './store-service.js';
import { rawConnect } from './raw-http.js';

const TIMEOUTS = { headersTimeoutMs: 200, requestTimeoutMs: 400 };
/** Bytes a trickling client would send; far more than it gets to before its time is up. */
const TRICKLE_BYTES = 1_000;
const TRICKLE_INTERVAL_MS = 20;

async function listening() {
  const server = await buildTestServer(TIMEOUTS);
  const base = await server.app.listen({ host: '127.0.0.1', port: 0 });
  return { ...server, base };
}

const TIMED_OUT = {
  error: {
    code: 'request_timeout',
    message: 'request not received in time: headers are due within 200 ms, the whole request within 400 ms',
  },
};

describe('request timeouts', () => {
  it('cuts headers that never finish with 408 and closes the connection', async () => {
    const { base } = await listening();
    const slow = await rawConnect(base);
    slow.socket.write('GET /livez HTTP/1.1\r\nHost: a\r\nX-Slow: 1\r\n');
    const answer = await slow.response;
    expect(answer.status).toBe(408);
    expect(JSON.parse(answer.body)).toEqual(TIMED_OUT);
    await slow.closed;
  });

  it('cuts a connection that sends nothing at all', async () => {
    const { base } = await listening();
    const silent = await rawConnect(base);
    expect((await silent.response).status).toBe(408);
    await silent.closed;
  });

  it('cuts a body trickled byte by byte with 408, and stores nothing', async () => {
    const { base, service, logs } = await listening();
    const trickle = await rawConnect(base);
    trickle.socket.write(`PUT /v1/kv/k HTTP/1.1\r\nHost: a\r\nContent-Length: ${TRICKLE_BYTES}\r\n\r\n`);
    let sent = 0;
    const timer = setInterval(() => {
      if (sent < TRICKLE_BYTES && !trickle.socket.destroyed) trickle.socket.write('x', () => (sent += 1));
    }, TRICKLE_INTERVAL_MS);
    try {
      const answer = await trickle.response;
      expect(answer.status).toBe(408);
      expect(JSON.parse(answer.body)).toEqual(TIMED_OUT);
      await trickle.closed;
    } finally {
      clearInterval(timer);
    }
    expect(sent).toBeLessThan(TRICKLE_BYTES);
    expect(service.submitted).toEqual([]);
    // The cut body is the client's failure, not a server error to log.
    expect(logs.filter((line) => line.level >= 50)).toEqual([]);
  });

  it('lets a watch stream outlive the timeouts: only receiving the request is timed', async () => {
    const { app, base } = await listening();
    const watch = await request(`${base}/v1/watch?prefix=w/`);
    expect(watch.statusCode).toBe(200);
    // A connection opened after the watch is cut once the timeout has passed: by then the watch is older.
    const silent = await rawConnect(base);
    expect((await silent.response).status).toBe(408);
    await app.inject({ method: 'PUT', url: '/v1/kv/w/a', payload: 'v' });
    let text = '';
    for await (const chunk of watch.body) {
      text += (chunk as Buffer).toString('utf8');
      if (text.endsWith('\n')) break;
    }
    expect(JSON.parse(text)).toMatchObject({ revision: 1, events: [{ type: 'put', key: 'w/a' }] });
  });
});

describe('timeout settings', () => {
  const build = (timeouts: { headersTimeoutMs?: number; requestTimeoutMs?: number }) => () =>
    buildApiServer({
      // Never reached: the server is built, not started.
      service: undefined as never,
      logger: pino({ level: 'silent' }, new Writable({ write: (_c, _e, done) => done() })),
      metrics: new Registry(),
      ...timeouts,
    });

  it.each([
    [{ headersTimeoutMs: HTTP_TIMEOUT_MS_MIN }, 'ok'],
    [
      { headersTimeoutMs: HTTP_TIMEOUT_MS_MIN - 1 },
      `headersTimeoutMs must be an integer from ${HTTP_TIMEOUT_MS_MIN} to ${HTTP_TIMEOUT_MS_MAX}`,
    ],
    [{ headersTimeoutMs: HTTP_TIMEOUT_MS_MAX, requestTimeoutMs: HTTP_TIMEOUT_MS_MAX }, 'ok'],
    [
      { requestTimeoutMs: HTTP_TIMEOUT_MS_MAX + 1 },
      `requestTimeoutMs must be an integer from ${HTTP_TIMEOUT_MS_MIN} to ${HTTP_TIMEOUT_MS_MAX}`,
    ],
    [{ headersTimeoutMs: 5_000, requestTimeoutMs: 5_000 }, 'ok'],
    [{ headersTimeoutMs: 5_000, requestTimeoutMs: 4_999 }, 'headersTimeoutMs (5000) must not exceed requestTimeoutMs (4999)'],
  ])('%j: %s', async (timeouts, outcome) => {
    if (outcome === 'ok') {
      const app = build(timeouts)();
      await app.close();
    } else {
      expect(build(timeouts)).toThrow(outcome);
    }
  });
});
