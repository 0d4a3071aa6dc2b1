// Proves every integer input is checked at the edge: written in plain decimal, within its range (at most
// 2^53 - 1, exact in JSON and JavaScript), else a 400 naming the field and its range, and nothing is
// submitted to the log. The largest value each field takes is accepted, one more is refused — via
// app.inject() (and a listening server for watch streams) over a real store.
import { describe, expect, it } from 'vitest';
import { request } from 'undici';
import { INTEGER_MAX, LIST_LIMIT_MAX } from '../../../src/api/schemas.js';
import { buildTestServer } from './store-service.js';

const ONE_PAST = '9007199254740992'; // INTEGER_MAX + 1 = 2^53, the first integer a double cannot tell from the next
const FAR_PAST = '99999999999999999999';
const range = (minimum: number, maximum = INTEGER_MAX) => `must be an integer from ${minimum} to ${maximum}`;

type Method = 'GET' | 'PUT' | 'POST' | 'DELETE';

async function refused(method: Method, url: string, message: string, extra: { headers?: Record<string, string>; payload?: object } = {}) {
  const { app, service } = await buildTestServer();
  const res = await app.inject({ method, url, payload: method === 'PUT' ? 'v' : extra.payload, headers: extra.headers ?? {} });
  expect(res.statusCode).toBe(400);
  expect(res.json().error).toEqual({ code: expect.stringMatching(/^(bad_request|invalid_precondition)$/), message: expect.any(String) });
  expect(res.json().error.message).toContain(message);
  expect(service.submitted).toEqual([]);
}

describe('integers past 2^53 - 1', () => {
  it.each<[Method, string, string]>([
    ['PUT', `/v1/kv/a?lease=${FAR_PAST}`, `querystring/lease ${range(1)}`],
    ['PUT', `/v1/kv/a?lease=${ONE_PAST}`, `querystring/lease ${range(1)}`],
    ['POST', '/v1/leases/9007199254740993/keepalive', `params/id ${range(1)}`],
    ['DELETE', `/v1/leases/${FAR_PAST}`, `params/id ${range(1)}`],
    ['GET', `/v1/leases/${ONE_PAST}`, `params/id ${range(1)}`],
    ['GET', `/v1/leases?after=${ONE_PAST}`, `querystring/after ${range(1)}`],
    ['GET', '/v1/watch?fromRevision=1e20', `querystring/fromRevision ${range(1)}`],
    ['GET', `/v1/watch?fromRevision=${ONE_PAST}`, `querystring/fromRevision ${range(1)}`],
  ])('%s %s is 400 naming the field and its range', async (method, url, message) => {
    await refused(method, url, message);
  });

  it('refuses a txn compare value past the range, naming it', async () => {
    const payload = { compare: [{ key: 'k', target: 'version', op: '==', value: 9007199254740993 }] };
    await refused('POST', '/v1/txn', `body/compare/0/value ${range(0)}`, { payload });
  });

  it('refuses an SSE Last-Event-ID whose next revision is past the range', async () => {
    const headers = { accept: 'text/event-stream', 'last-event-id': String(INTEGER_MAX) };
    await refused('GET', '/v1/watch', `headers/last-event-id ${range(0, INTEGER_MAX - 1)}`, { headers });
  });

  it('refuses an If-Match revision past the range', async () => {
    await refused('PUT', '/v1/kv/k', `If-Match: the modRevision ${range(0)}`, { headers: { 'if-match': `"${ONE_PAST}"` } });
  });
});

describe('integers at the top of their range', () => {
  it('takes lease and lease ids up to 2^53 - 1 as valid ops the store answers', async () => {
    const { app, service } = await buildTestServer();
    for (const [method, url] of [
      ['PUT', `/v1/kv/a?lease=${INTEGER_MAX}`],
      ['POST', `/v1/leases/${INTEGER_MAX}/keepalive`],
      ['DELETE', `/v1/leases/${INTEGER_MAX}`],
      ['GET', `/v1/leases/${INTEGER_MAX}?consistency=stale`],
    ] as const) {
      const res = await app.inject({ method, url, payload: method === 'PUT' ? 'v' : undefined });
      expect(res.statusCode).toBe(404);
      expect(res.json().error.code).toBe('lease_not_found');
    }
    expect(service.submitted.map((op) => op.type)).toEqual(['put', 'lease_keepalive', 'lease_revoke']);
  });

  it('takes a txn compare value and an If-Match revision of 2^53 - 1', async () => {
    const { app } = await buildTestServer();
    const compare = [{ key: 'k', target: 'modRevision', op: '==', value: INTEGER_MAX }];
    const txn = await app.inject({ method: 'POST', url: '/v1/txn', payload: { compare } });
    expect(txn.json()).toEqual({ revision: 0, succeeded: false, results: [] });
    const put = await app.inject({ method: 'PUT', url: '/v1/kv/k', payload: 'v', headers: { 'if-match': `"${INTEGER_MAX}"` } });
    expect(put.statusCode).toBe(412);
  });

  it('opens a watch from revision 2^53 - 1, and an SSE watch after Last-Event-ID 2^53 - 2', async () => {
    const { app } = await buildTestServer();
    const base = await app.listen({ host: '127.0.0.1', port: 0 });
    for (const [url, headers] of [
      [`/v1/watch?fromRevision=${INTEGER_MAX}`, {}],
      ['/v1/watch', { accept: 'text/event-stream', 'last-event-id': String(INTEGER_MAX - 1) }],
    ] as const) {
      const res = await request(`${base}${url}`, { headers });
      expect(res.statusCode).toBe(200);
      res.body.destroy();
    }
  });
});

describe('integers spelled loosely', () => {
  it.each<[Method, string, string]>([
    ['GET', '/v1/kv?limit=0x10', `querystring/limit ${range(1, LIST_LIMIT_MAX)}`],
    ['GET', '/v1/kv?limit=1e3', `querystring/limit ${range(1, LIST_LIMIT_MAX)}`],
    ['GET', '/v1/kv?limit=%2B5', `querystring/limit ${range(1, LIST_LIMIT_MAX)}`],
    ['GET', '/v1/kv?limit=%205', `querystring/limit ${range(1, LIST_LIMIT_MAX)}`],
    ['GET', '/v1/kv?limit=5.0', `querystring/limit ${range(1, LIST_LIMIT_MAX)}`],
    ['GET', '/v1/kv?limit=', `querystring/limit ${range(1, LIST_LIMIT_MAX)}`],
    ['PUT', '/v1/kv/a?lease=1e2', `querystring/lease ${range(1)}`],
    ['POST', '/v1/leases/0x10/keepalive', `params/id ${range(1)}`],
    ['DELETE', '/v1/leases/-1', `params/id ${range(1)}`],
    ['GET', '/v1/leases?limit=1e3', `querystring/limit ${range(1, LIST_LIMIT_MAX)}`],
    ['GET', '/v1/leases?after=0x10', `querystring/after ${range(1)}`],
    ['GET', '/v1/kv?limit=1&limit=2', 'querystring/limit is given more than once'],
  ])('%s %s is 400', async (method, url, message) => {
    await refused(method, url, message);
  });

  it('refuses a txn compare value given as a string of digits for a revision target', async () => {
    const payload = { compare: [{ key: 'k', target: 'version', op: '==', value: '3' }] };
    await refused('POST', '/v1/txn', 'body/compare/0/value must be an integer when target is version', { payload });
  });

  it('reads plain decimal digits, leading zeros included', async () => {
    const { app } = await buildTestServer();
    for (const key of ['a', 'b', 'c']) await app.inject({ method: 'PUT', url: `/v1/kv/${key}`, payload: 'v' });
    const res = await app.inject({ method: 'GET', url: '/v1/kv?limit=02' });
    expect(res.json().items.map((item: { key: string }) => item.key)).toEqual(['a', 'b']);
  });
});
