// Proves ?prev=true on PUT and DELETE answers with the record the write replaced (null when the key was
// absent), that without it no `prev` is sent, and that a bad value is a 400 — via app.inject() over a
// real store.
import { describe, expect, it } from 'vitest';
import { buildTestServer } from './store-service.js';

const b64 = (text: string) => Buffer.from(text).toString('base64');

describe('previous values', () => {
  it('answers a PUT or DELETE with ?prev=true with the record it replaced', async () => {
    const { app } = await buildTestServer();
    const first = await app.inject({ method: 'PUT', url: '/v1/kv/k?prev=true', payload: 'a', headers: { 'content-type': 'text/plain' } });
    expect(first.json()).toEqual({ revision: 1, prev: null });
    const second = await app.inject({
      method: 'PUT',
      url: '/v1/kv/k?prev=true',
      payload: 'b',
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(second.json()).toEqual({
      revision: 2,
      prev: { value: b64('a'), contentType: 'text/plain', createRevision: 1, modRevision: 1, version: 1 },
    });
    const deleted = await app.inject({ method: 'DELETE', url: '/v1/kv/k?prev=true' });
    expect(deleted.json()).toEqual({
      revision: 3,
      deleted: 1,
      prev: { value: b64('b'), contentType: 'application/octet-stream', createRevision: 1, modRevision: 2, version: 2 },
    });
    expect((await app.inject({ method: 'DELETE', url: '/v1/kv/k?prev=true' })).json()).toEqual({ revision: 3, deleted: 0, prev: null });
  });

  it('sends no prev unless asked, and refuses a prev that is not a boolean', async () => {
    const { app } = await buildTestServer();
    expect((await app.inject({ method: 'PUT', url: '/v1/kv/k', payload: 'a' })).json()).toEqual({ revision: 1 });
    expect((await app.inject({ method: 'PUT', url: '/v1/kv/k?prev=false', payload: 'a' })).json()).toEqual({ revision: 2 });
    expect((await app.inject({ method: 'DELETE', url: '/v1/kv/k' })).json()).toEqual({ revision: 3, deleted: 1 });
    for (const method of ['PUT', 'DELETE'] as const) {
      const refused = await app.inject({ method, url: '/v1/kv/k?prev=maybe', payload: method === 'PUT' ? 'a' : undefined });
      expect(refused.statusCode).toBe(400);
      expect(refused.json().error).toMatchObject({ code: 'bad_request', message: expect.stringContaining('prev') });
    }
  });
});
