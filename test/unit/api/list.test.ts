// Proves GET /v1/kv lists a prefix in byte order with base64 values and stable `after` pagination, and
// DELETE /v1/kv?prefix= deletes through the log; unknown or bad parameters are 400 naming them —
// via app.inject() over a real store.
import { describe, expect, it } from 'vitest';
import { LIST_LIMIT_MAX } from '../../../src/api/schemas.js';
import { buildTestServer } from './store-service.js';

async function seeded() {
  const server = await buildTestServer();
  for (const key of ['a/1', 'a/2', 'a/3', 'b/1']) await server.app.inject({ method: 'PUT', url: `/v1/kv/${key}`, payload: `v${key}` });
  return server;
}

describe('prefix listing', () => {
  it('lists a prefix with metadata and base64 values, page by page with after=next', async () => {
    const { app } = await seeded();
    const first = await app.inject({ method: 'GET', url: '/v1/kv?prefix=a/&limit=2' });
    expect(first.statusCode).toBe(200);
    expect(first.json()).toEqual({
      revision: 4,
      items: [
        { key: 'a/1', value: Buffer.from('va/1').toString('base64'), createRevision: 1, modRevision: 1, version: 1 },
        { key: 'a/2', value: Buffer.from('va/2').toString('base64'), createRevision: 2, modRevision: 2, version: 1 },
      ],
      next: 'a/2',
      continue: expect.any(String),
    });
    const second = await app.inject({ method: 'GET', url: '/v1/kv?prefix=a/&limit=2&after=a/2&keysOnly=true' });
    expect(second.json()).toEqual({
      revision: 4,
      items: [{ key: 'a/3', createRevision: 3, modRevision: 3, version: 1 }],
      next: null,
      continue: null,
    });
  });

  it('sends values as UTF-8 text with encoding=utf8, leaving out those that are not UTF-8', async () => {
    const { app } = await buildTestServer();
    await app.inject({ method: 'PUT', url: '/v1/kv/t', payload: 'héllo', headers: { 'content-type': 'text/plain; charset=utf-8' } });
    await app.inject({
      method: 'PUT',
      url: '/v1/kv/u',
      payload: Buffer.from([0xff, 0xfe]),
      headers: { 'content-type': 'application/octet-stream' },
    });
    const listed = await app.inject({ method: 'GET', url: '/v1/kv?encoding=utf8' });
    expect(listed.json().items).toEqual([
      { key: 't', value: 'héllo', contentType: 'text/plain; charset=utf-8', createRevision: 1, modRevision: 1, version: 1 },
      { key: 'u', notUtf8: true, contentType: 'application/octet-stream', createRevision: 2, modRevision: 2, version: 1 },
    ]);
    const base64 = await app.inject({ method: 'GET', url: '/v1/kv?encoding=base64' });
    expect(base64.json().items.map((item: { value: string }) => item.value)).toEqual([Buffer.from('héllo').toString('base64'), '//4=']);
    const refused = await app.inject({ method: 'GET', url: '/v1/kv?encoding=hex' });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().error.message).toContain('encoding');
  });

  it('serves stale reads from local state with no barrier, linearizable reads after a barrier op each', async () => {
    const { app, service } = await seeded();
    const barriers = () => service.submitted.filter((op) => op.type === 'barrier').length;
    const stale = await app.inject({ method: 'GET', url: '/v1/kv?consistency=stale' });
    expect(stale.json().items).toHaveLength(4);
    expect(stale.headers['x-mrtom-revision']).toBe('4');
    expect(barriers()).toBe(0);
    await app.inject({ method: 'GET', url: '/v1/kv?prefix=a/' });
    await app.inject({ method: 'GET', url: '/v1/kv/a/1' });
    expect(barriers()).toBe(2);
  });

  it.each([
    ['/v1/kv?prefx=a', "querystring: unknown parameter 'prefx'"],
    ['/v1/kv?limit=0', `querystring/limit must be an integer from 1 to ${LIST_LIMIT_MAX}`],
    [`/v1/kv?limit=${LIST_LIMIT_MAX + 1}`, `querystring/limit must be an integer from 1 to ${LIST_LIMIT_MAX}`],
    ['/v1/kv?keysOnly=maybe', 'querystring/keysOnly must be boolean'],
    ['/v1/kv?consistency=eventual', 'querystring/consistency'],
    [`/v1/kv?prefix=${'x'.repeat(4097)}`, 'prefix is 4097 bytes'],
    ['/v1/kv/k?consistency=stale&x=1&y=2', "unknown parameter 'x'; querystring: unknown parameter 'y'"],
  ])('refuses %s with 400 naming the parameter', async (url, message) => {
    const { app } = await buildTestServer();
    const res = await app.inject({ method: 'GET', url });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toContain(message);
  });
});

describe('prefix deletion', () => {
  it('deletes every key of the prefix at one revision and leaves others', async () => {
    const { app } = await seeded();
    const res = await app.inject({ method: 'DELETE', url: '/v1/kv?prefix=a/' });
    expect(res.json()).toEqual({ revision: 5, deleted: 3, more: false });
    const left = await app.inject({ method: 'GET', url: '/v1/kv' });
    expect(left.json().items.map((item: { key: string }) => item.key)).toEqual(['b/1']);
  });

  it('requires the prefix parameter', async () => {
    const { app, service } = await buildTestServer();
    const res = await app.inject({ method: 'DELETE', url: '/v1/kv' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toContain("querystring: missing parameter 'prefix'");
    expect(service.submitted).toHaveLength(0);
  });
});
