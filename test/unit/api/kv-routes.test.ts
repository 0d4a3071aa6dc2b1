// Proves PUT/GET/DELETE /v1/kv/<key> store and return exact bytes with their content type, revisions and
// ETags, and enforce the value limits — by injecting requests into the real server over a store-backed service.
import { describe, expect, it, vi } from 'vitest';
import { buildTestServer } from './store-service.js';

const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

describe('kv routes', () => {
  it('round-trips arbitrary binary bytes with revision, ETag and default content type', async () => {
    const { app } = await buildTestServer();
    const put = await app.inject({
      method: 'PUT',
      url: '/v1/kv/bin',
      payload: ALL_BYTES,
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(put.statusCode).toBe(200);
    expect(put.json()).toEqual({ revision: 1 });
    expect(put.headers.etag).toBe('"1"');

    const get = await app.inject({ method: 'GET', url: '/v1/kv/bin' });
    expect(get.statusCode).toBe(200);
    expect(get.rawPayload.equals(ALL_BYTES)).toBe(true);
    expect(get.headers['content-type']).toBe('application/octet-stream');
    expect(get.headers.etag).toBe('"1"');
    expect(get.headers['x-mrtom-revision']).toBe('1');
  });

  it('stores a JSON body byte-for-byte, whitespace and key order included, and returns its content type', async () => {
    const { app, service } = await buildTestServer();
    const json = '{ "b" : 1,\n  "a": [1, 2.50] }\n';
    await app.inject({ method: 'PUT', url: '/v1/kv/doc', payload: json, headers: { 'content-type': 'application/json' } });
    expect(service.submitted[0]).toEqual({ type: 'put', key: 'doc', value: Buffer.from(json), contentType: 'application/json' });

    const get = await app.inject({ method: 'GET', url: '/v1/kv/doc' });
    expect(get.body).toBe(json);
    expect(get.headers['content-type']).toBe('application/json');
  });

  it('preserves a content type with parameters', async () => {
    const { app } = await buildTestServer();
    await app.inject({ method: 'PUT', url: '/v1/kv/t', payload: 'héllo', headers: { 'content-type': 'text/plain; charset=utf-8' } });
    const get = await app.inject({ method: 'GET', url: '/v1/kv/t' });
    expect(get.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(get.body).toBe('héllo');
  });

  it('stores no content type when the client sent none', async () => {
    const { app, service } = await buildTestServer();
    const put = await app.inject({ method: 'PUT', url: '/v1/kv/raw', payload: Buffer.from([1, 2, 3]) });
    expect(put.statusCode).toBe(200);
    expect(service.submitted[0]).not.toHaveProperty('contentType');
    expect((await service.store.reads.readKey('raw')).record?.contentType).toBeUndefined();
  });

  it('accepts an empty body as an empty value', async () => {
    const { app, service } = await buildTestServer();
    expect((await app.inject({ method: 'PUT', url: '/v1/kv/none' })).statusCode).toBe(200);
    const typed = await app.inject({ method: 'PUT', url: '/v1/kv/typed', payload: '', headers: { 'content-type': 'application/json' } });
    expect(typed.statusCode).toBe(200);
    expect((await service.store.reads.readKey('none')).record?.value).toEqual(new Uint8Array(0));

    const get = await app.inject({ method: 'GET', url: '/v1/kv/typed' });
    expect(get.statusCode).toBe(200);
    expect(get.headers['content-length']).toBe('0');
    expect(get.headers['content-type']).toBe('application/json');
  });

  it('moves the revision once per write and reports the key modRevision as the ETag', async () => {
    const { app } = await buildTestServer();
    await app.inject({ method: 'PUT', url: '/v1/kv/a', payload: 'one' });
    await app.inject({ method: 'PUT', url: '/v1/kv/b', payload: 'two' });
    const again = await app.inject({ method: 'PUT', url: '/v1/kv/a', payload: 'three' });
    expect(again.json()).toEqual({ revision: 3 });
    expect(again.headers.etag).toBe('"3"');

    const getB = await app.inject({ method: 'GET', url: '/v1/kv/b' });
    expect(getB.headers.etag).toBe('"2"');
    expect(getB.headers['x-mrtom-revision']).toBe('3');
  });

  it('deletes once, then reports deleted 0, and a GET after is 404 key_not_found with the revision', async () => {
    const { app } = await buildTestServer();
    await app.inject({ method: 'PUT', url: '/v1/kv/gone', payload: 'x' });
    const first = await app.inject({ method: 'DELETE', url: '/v1/kv/gone' });
    expect(first.statusCode).toBe(200);
    expect(first.json()).toEqual({ revision: 2, deleted: 1 });
    const second = await app.inject({ method: 'DELETE', url: '/v1/kv/gone' });
    expect(second.json()).toEqual({ revision: 2, deleted: 0 });

    const get = await app.inject({ method: 'GET', url: '/v1/kv/gone' });
    expect(get.statusCode).toBe(404);
    expect(get.headers['content-type']).toMatch(/^application\/json/);
    expect(get.headers['x-mrtom-revision']).toBe('2');
    expect(get.json()).toEqual({ error: { code: 'key_not_found', message: expect.stringContaining('revision 2') } });
  });

  it('rejects a body over valueBytesLimit with 413 in our JSON shape, and reads one at the limit', async () => {
    const { app, service } = await buildTestServer({ valueBytesLimit: 64 });
    expect((await app.inject({ method: 'PUT', url: '/v1/kv/k', payload: Buffer.alloc(64) })).statusCode).toBe(200);

    const over = await app.inject({
      method: 'PUT',
      url: '/v1/kv/k',
      payload: Buffer.alloc(65),
      headers: { 'content-type': 'application/json' },
    });
    expect(over.statusCode).toBe(413);
    expect(over.json()).toEqual({ error: { code: 'value_too_large', message: expect.stringContaining('64 bytes') } });
    expect(service.submitted).toHaveLength(1);
  });

  it('answers 500 internal and logs the error when the service applies our op as invalid', async () => {
    const { app, service, logs } = await buildTestServer();
    service.submit = async () => ({ type: 'invalid', revision: 7, reason: 'op is not a map' });
    const res = await app.inject({ method: 'DELETE', url: '/v1/kv/k' });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({ error: { code: 'internal', message: 'internal server error' } });
    expect(logs).toEqual([
      expect.objectContaining({ level: 50, err: expect.objectContaining({ message: expect.stringContaining('op is not a map') }) }),
    ]);
  });

  it('answers 405 with Allow for a method keys do not support', async () => {
    const { app, service } = await buildTestServer();
    const res = await app.inject({ method: 'POST', url: '/v1/kv/k', payload: 'x' });
    expect(res.statusCode).toBe(405);
    expect(res.headers.allow).toBe('GET, HEAD, DELETE, PUT');
    expect(res.json().error.code).toBe('method_not_allowed');
    expect(service.submitted).toHaveLength(0);
  });
});
