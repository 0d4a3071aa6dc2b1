// Proves If-Match / If-None-Match on PUT and DELETE act as compare-and-swap decided by the store, with 412
// precondition_failed carrying the current modRevision (null when absent), that If-None-Match on GET/HEAD
// answers 304 when the client holds the current ETag, and that bad headers are 400 — via app.inject()
// over a real store.
import { describe, expect, it } from 'vitest';
import { buildTestServer } from './store-service.js';

describe('compare-and-swap', () => {
  it('creates only when absent with If-None-Match: *', async () => {
    const { app } = await buildTestServer();
    const first = await app.inject({ method: 'PUT', url: '/v1/kv/k', payload: 'a', headers: { 'if-none-match': '*' } });
    expect(first.statusCode).toBe(200);
    const second = await app.inject({ method: 'PUT', url: '/v1/kv/k', payload: 'b', headers: { 'if-none-match': '*' } });
    expect(second.statusCode).toBe(412);
    expect(second.json()).toEqual({
      error: { code: 'precondition_failed', message: expect.stringContaining('modRevision is 1'), modRevision: 1 },
    });
  });

  it('writes and deletes only at the matching modRevision', async () => {
    const { app } = await buildTestServer();
    await app.inject({ method: 'PUT', url: '/v1/kv/k', payload: 'a' });
    const stale = await app.inject({ method: 'PUT', url: '/v1/kv/k', payload: 'b', headers: { 'if-match': '"7"' } });
    expect(stale.statusCode).toBe(412);
    expect(stale.json().error.modRevision).toBe(1);
    const swap = await app.inject({ method: 'PUT', url: '/v1/kv/k', payload: 'b', headers: { 'if-match': '"1"' } });
    expect(swap.statusCode).toBe(200);
    expect(swap.headers.etag).toBe('"2"');
    const del = await app.inject({ method: 'DELETE', url: '/v1/kv/k', headers: { 'if-match': '"2"' } });
    expect(del.json()).toEqual({ revision: 3, deleted: 1 });
    const gone = await app.inject({ method: 'DELETE', url: '/v1/kv/k', headers: { 'if-match': '"2"' } });
    expect(gone.statusCode).toBe(412);
    expect(gone.json().error.modRevision).toBeNull();
  });

  it.each([
    [{ 'if-match': '7' }, 'If-Match: must be one ETag'],
    [{ 'if-match': '"1", "2"' }, 'If-Match: must be one ETag'],
    [{ 'if-none-match': '"3"' }, 'If-None-Match: only *'],
    [{ 'if-match': '"1"', 'if-none-match': '*' }, 'cannot be combined'],
  ])('refuses precondition headers %j with 400 invalid_precondition', async (headers, message) => {
    const { app, service } = await buildTestServer();
    const res = await app.inject({ method: 'PUT', url: '/v1/kv/k', payload: 'v', headers });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toEqual({ code: 'invalid_precondition', message: expect.stringContaining(message) });
    expect(service.submitted).toHaveLength(0);
  });
});

describe('conditional reads', () => {
  async function stored() {
    const server = await buildTestServer();
    await server.app.inject({ method: 'PUT', url: '/v1/kv/k', payload: 'first' });
    await server.app.inject({ method: 'PUT', url: '/v1/kv/k', payload: 'second' });
    return server;
  }

  it.each(['"2"', 'W/"2"', '"1", "2"', '"x,y", W/"2"', '*'])(
    'answers If-None-Match: %s on the current ETag with 304 and no body',
    async (header) => {
      const { app } = await stored();
      for (const method of ['GET', 'HEAD'] as const) {
        const res = await app.inject({ method, url: '/v1/kv/k', headers: { 'if-none-match': header } });
        expect(res.statusCode).toBe(304);
        expect(res.body).toBe('');
        expect(res.headers.etag).toBe('"2"');
        expect(res.headers['x-mrtom-revision']).toBe('2');
      }
    },
  );

  it.each(['"1"', '"1", W/"3"', '"abc"'])('serves the value when If-None-Match: %s holds no current ETag', async (header) => {
    const { app } = await stored();
    const res = await app.inject({ method: 'GET', url: '/v1/kv/k', headers: { 'if-none-match': header } });
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe('second');
  });

  it('answers a conditional read of an absent key with 404, whatever it holds', async () => {
    const { app } = await buildTestServer();
    for (const header of ['*', '"1"']) {
      expect((await app.inject({ method: 'GET', url: '/v1/kv/none', headers: { 'if-none-match': header } })).statusCode).toBe(404);
    }
  });

  it.each(['2', '"2', '"2" "3"', ''])('refuses a malformed If-None-Match %j on a read with 400 invalid_precondition', async (header) => {
    const { app, service } = await stored();
    const res = await app.inject({ method: 'GET', url: '/v1/kv/k', headers: { 'if-none-match': header } });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toEqual({
      code: 'invalid_precondition',
      message: expect.stringContaining('If-None-Match: must be * or a list of ETags'),
    });
    expect(service.submitted.filter((op) => op.type === 'barrier')).toEqual([]);
  });

  it('writes with If-Match: * only when the key exists, on PUT and DELETE', async () => {
    const { app } = await buildTestServer();
    const ifExists = { 'if-match': '*' };
    for (const method of ['PUT', 'DELETE'] as const) {
      const refused = await app.inject({ method, url: '/v1/kv/k', payload: method === 'PUT' ? 'v' : undefined, headers: ifExists });
      expect(refused.statusCode).toBe(412);
      expect(refused.json().error).toMatchObject({ code: 'precondition_failed', modRevision: null });
    }
    await app.inject({ method: 'PUT', url: '/v1/kv/k', payload: 'v1' });
    expect((await app.inject({ method: 'PUT', url: '/v1/kv/k', payload: 'v2', headers: ifExists })).json()).toEqual({ revision: 2 });
    expect((await app.inject({ method: 'DELETE', url: '/v1/kv/k', headers: ifExists })).json()).toEqual({ revision: 3, deleted: 1 });
  });
});
