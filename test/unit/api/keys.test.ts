// Proves which keys the API accepts: '/' and percent-encoded bytes decode to the stored key, and empty,
// oversized, badly encoded or ill-formed UTF-8 keys get 400 invalid_key in our JSON shape — via app.inject().
import { describe, expect, it } from 'vitest';
import { buildTestServer } from './store-service.js';

async function keyOf(url: string): Promise<string | undefined> {
  const { app, service } = await buildTestServer();
  const res = await app.inject({ method: 'PUT', url, payload: 'v' });
  expect(res.statusCode).toBe(200);
  const op = service.submitted[0];
  return op !== undefined && 'key' in op ? op.key : undefined;
}

async function rejection(url: string, method: 'GET' | 'PUT' | 'DELETE' = 'GET') {
  const { app, service } = await buildTestServer();
  const res = await app.inject({ method, url });
  expect(res.statusCode).toBe(400);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(service.submitted).toHaveLength(0);
  return res.json() as { error: { code: string; message: string } };
}

describe('keys in URLs', () => {
  it('keeps / in keys, and %2F names the same key', async () => {
    const { app } = await buildTestServer();
    await app.inject({ method: 'PUT', url: '/v1/kv/a/b/c', payload: 'deep' });
    const get = await app.inject({ method: 'GET', url: '/v1/kv/a%2Fb%2Fc' });
    expect(get.body).toBe('deep');
  });

  it.each([
    ['/v1/kv/caf%C3%A9', 'café'],
    ['/v1/kv/100%25%20sure', '100% sure'],
    ['/v1/kv/what%3F%23', 'what?#'],
    ['/v1/kv/%F0%9F%94%91', '🔑'],
  ])('decodes %s to %j', async (url, key) => {
    expect(await keyOf(url)).toBe(key);
  });

  it.each(['GET', 'PUT', 'DELETE'] as const)('rejects an empty key on %s', async (method) => {
    expect(await rejection('/v1/kv/', method)).toEqual({ error: { code: 'invalid_key', message: 'key is empty' } });
  });

  it('accepts a key of 4096 UTF-8 bytes and rejects 4097', async () => {
    expect(await keyOf(`/v1/kv/${'k'.repeat(4096)}`)).toHaveLength(4096);
    const { error } = await rejection(`/v1/kv/${'k'.repeat(4097)}`);
    expect(error).toEqual({ code: 'invalid_key', message: 'key is 4097 bytes of UTF-8; the limit is 4096 bytes' });
  });

  it('counts the key limit in UTF-8 bytes, not characters', async () => {
    const e = '%C3%A9'; // é, two bytes
    expect(await keyOf(`/v1/kv/${e.repeat(2048)}`)).toBe('é'.repeat(2048));
    const { error } = await rejection(`/v1/kv/${e.repeat(2048)}x`);
    expect(error.message).toMatch(/4097 bytes/);
  });

  it.each([
    ['/v1/kv/%zz', 0],
    ['/v1/kv/ab%', 2],
    ['/v1/kv/ab%4', 2],
  ])('rejects bad percent-encoding in %s', async (url, at) => {
    const { error } = await rejection(url);
    expect(error).toEqual({ code: 'invalid_key', message: expect.stringContaining(`invalid percent-encoding at character ${at}`) });
  });

  it('rejects a percent-encoded lone surrogate', async () => {
    const { error } = await rejection('/v1/kv/a%ED%A0%80');
    expect(error).toEqual({ code: 'invalid_key', message: 'key is not well-formed UTF-8: bytes 1-3 encode a lone UTF-16 surrogate' });
  });

  it('rejects a truncated UTF-8 sequence', async () => {
    const { error } = await rejection('/v1/kv/%C3');
    expect(error).toEqual({ code: 'invalid_key', message: 'key is not well-formed UTF-8 after percent-decoding' });
  });

  it('answers a bad URL outside /v1/kv/ with bad_request in the same shape', async () => {
    const { app } = await buildTestServer();
    const res = await app.inject({ method: 'GET', url: '/livez%zz' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ error: { code: 'bad_request', message: 'the URL path is not valid percent-encoded UTF-8' } });
  });
});

/** Every way a request names one key, each as a request for `key` and the field its 400 names. */
const KEY_ENTRIES: [string, (key: string) => { method: 'PUT' | 'POST'; url: string; payload?: object }, string][] = [
  // Dots are sent as %2E, since an HTTP client would resolve a literal '..' segment away before sending.
  ['URL path', (key) => ({ method: 'PUT', url: `/v1/kv/${encodeURIComponent(key).replaceAll('.', '%2E')}` }), 'key'],
  ['txn put', (key) => ({ method: 'POST', url: '/v1/txn', payload: { success: [{ put: { key, value: '' } }] } }), 'body/success/0/put/key'],
  ['txn get', (key) => ({ method: 'POST', url: '/v1/txn', payload: { failure: [{ get: { key } }] } }), 'body/failure/0/get/key'],
  ['txn delete', (key) => ({ method: 'POST', url: '/v1/txn', payload: { success: [{ delete: { key } }] } }), 'body/success/0/delete/key'],
  [
    'txn compare',
    (key) => ({ method: 'POST', url: '/v1/txn', payload: { compare: [{ key, target: 'exists', op: '==', value: true }] } }),
    'body/compare/0/key',
  ],
];

const ILLEGAL_KEYS: [string, string, string][] = [
  ['empty', '', 'is empty'],
  ['NUL', 'a\u0000b', 'holds the control character U+0000 at character 1'],
  ['a C0 control', 'tab\there', 'holds the control character U+0009 at character 3'],
  ['DEL', 'a\u007f', 'holds the control character U+007F at character 1'],
  ['a C1 control', '\u0085', 'holds the control character U+0085 at character 0'],
  ['a .. segment', 'a/../b', "has a '..' segment"],
  ['a . segment', 'a/./b', "has a '.' segment"],
  ['a leading .. segment', '../a', "has a '..' segment"],
  ['a trailing . segment', 'a/.', "has a '.' segment"],
  ['4097 bytes', 'k'.repeat(4097), 'is 4097 bytes of UTF-8; the limit is 4096 bytes'],
];

describe('one key rule for every route', () => {
  describe.each(KEY_ENTRIES)('in a %s', (_entry, requestFor, field) => {
    it('refuses each illegal key with 400 invalid_key naming the field and the problem', async () => {
      const { app, service } = await buildTestServer();
      for (const [what, key, problem] of ILLEGAL_KEYS) {
        const res = await app.inject(requestFor(key));
        expect(res.statusCode, what).toBe(400);
        expect(res.json(), what).toEqual({ error: { code: 'invalid_key', message: expect.stringContaining(`${field} ${problem}`) } });
      }
      expect(service.submitted).toEqual([]);
    });

    it('accepts legal keys that look odd', async () => {
      const { app } = await buildTestServer();
      for (const key of ['...', '.hidden', 'a/..b', 'a//b', '/leading', 'trailing/', 'k'.repeat(4096)]) {
        expect((await app.inject(requestFor(key))).statusCode, key).toBe(200);
      }
    });
  });

  it('refuses a lone surrogate in a txn key, as the URL path does its UTF-8 spelling', async () => {
    const { app } = await buildTestServer();
    const res = await app.inject({ method: 'POST', url: '/v1/txn', payload: { success: [{ put: { key: 'a\ud800', value: '' } }] } });
    expect(res.json().error).toEqual({
      code: 'invalid_key',
      message: 'body/success/0/put/key is not well-formed Unicode: a lone UTF-16 surrogate at character 1',
    });
  });

  it('reads back by its URL a key a txn wrote', async () => {
    const { app } = await buildTestServer();
    const key = 'a/.b/c d?#%/é';
    await app.inject({
      method: 'POST',
      url: '/v1/txn',
      payload: { success: [{ put: { key, value: Buffer.from('v').toString('base64') } }] },
    });
    const res = await app.inject({ method: 'GET', url: `/v1/kv/${key.split('/').map(encodeURIComponent).join('/')}` });
    expect(res.body).toBe('v');
  });
});

describe('one prefix rule for every route', () => {
  const prefixUrls: [string, 'GET' | 'DELETE', (query: string) => string][] = [
    ['list', 'GET', (query) => `/v1/kv?${query}`],
    ['delete', 'DELETE', (query) => `/v1/kv?${query}`],
    ['watch', 'GET', (query) => `/v1/watch?${query}`],
  ];

  describe.each(prefixUrls)('on %s', (_route, method, url) => {
    it.each([
      ['prefix=%e9', "querystring: parameter 'prefix' is not well-formed UTF-8 after percent-decoding"],
      ['prefix=%ZZ', "querystring: parameter 'prefix' has invalid percent-encoding at character 0"],
      ['prefix=%', "querystring: parameter 'prefix' has invalid percent-encoding at character 0"],
      ['prefix=%ED%A0%80', "querystring: parameter 'prefix' is not well-formed UTF-8: bytes 0-2 encode a lone UTF-16 surrogate"],
    ])('refuses %s as the URL path would: 400 bad_request', async (query, message) => {
      const { app, service } = await buildTestServer();
      const res = await app.inject({ method, url: url(query) });
      expect(res.statusCode).toBe(400);
      expect(res.json().error).toEqual({ code: 'bad_request', message: expect.stringContaining(message) });
      expect(service.submitted).toEqual([]);
    });

    it('refuses a prefix with a control character as invalid_key', async () => {
      const { app } = await buildTestServer();
      const res = await app.inject({ method, url: url('prefix=a%00') });
      expect(res.json().error).toEqual({
        code: 'invalid_key',
        message: 'querystring/prefix holds the control character U+0000 at character 1',
      });
    });
  });

  it('lets a prefix end in a dot segment, since it may begin a legal key', async () => {
    const { app } = await buildTestServer();
    await app.inject({ method: 'PUT', url: '/v1/kv/a/..b', payload: 'v' });
    const res = await app.inject({ method: 'GET', url: '/v1/kv?prefix=a/..' });
    expect(res.json().items.map((item: { key: string }) => item.key)).toEqual(['a/..b']);
  });

  it('refuses a txn range prefix with a control character, and a badly encoded query parameter name', async () => {
    const { app } = await buildTestServer();
    const txn = await app.inject({ method: 'POST', url: '/v1/txn', payload: { success: [{ range: { prefix: '\u001b[31m' } }] } });
    expect(txn.json().error.message).toBe('body/success/0/range/prefix holds the control character U+001B at character 0');
    const name = await app.inject({ method: 'GET', url: '/v1/kv?%zz=1' });
    expect(name.json().error.message).toContain('querystring: a parameter name has invalid percent-encoding');
  });
});
