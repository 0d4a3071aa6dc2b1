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
