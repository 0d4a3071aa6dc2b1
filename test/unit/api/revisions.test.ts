// Proves reads at a past revision over HTTP: a key and a listing as they were at ?revision=N (404 when
// absent then, 410 compacted below the compact revision, 400 future_revision past the current one),
// listing pages pinned by `continue` to their first page's revision while writes go on, and
// POST /v1/compact going through the log, raise-only. Via app.inject() over a real store.
import { describe, expect, it } from 'vitest';
import { buildTestServer } from './store-service.js';

const base64 = (text: string) => Buffer.from(text).toString('base64');

async function written() {
  const server = await buildTestServer();
  const { app } = server;
  // Revisions: 1 a=1, 2 b=1, 3 a=2, 4 delete b, 5 c=1.
  await app.inject({ method: 'PUT', url: '/v1/kv/a', payload: '1' });
  await app.inject({ method: 'PUT', url: '/v1/kv/b', payload: '1' });
  await app.inject({ method: 'PUT', url: '/v1/kv/a', payload: '2' });
  await app.inject({ method: 'DELETE', url: '/v1/kv/b' });
  await app.inject({ method: 'PUT', url: '/v1/kv/c', payload: '1' });
  return server;
}

describe('reads at a revision', () => {
  it('reads a key as it was at ?revision=N, and 404 where it was absent', async () => {
    const { app } = await written();
    const old = await app.inject({ method: 'GET', url: '/v1/kv/a?revision=2' });
    expect(old.statusCode).toBe(200);
    expect(old.body).toBe('1');
    expect(old.headers.etag).toBe('"1"');
    expect(old.headers['x-mrtom-revision']).toBe('2');
    expect((await app.inject({ method: 'GET', url: '/v1/kv/a?revision=3' })).body).toBe('2');
    expect((await app.inject({ method: 'GET', url: '/v1/kv/b?revision=3&consistency=stale' })).body).toBe('1');
    for (const url of ['/v1/kv/b?revision=4', '/v1/kv/c?revision=4', '/v1/kv/a?revision=0']) {
      const absent = await app.inject({ method: 'GET', url });
      expect(absent.statusCode).toBe(404);
      expect(absent.json().error.code).toBe('key_not_found');
    }
  });

  it('lists a prefix as it was at ?revision=N', async () => {
    const { app } = await written();
    const listed = await app.inject({ method: 'GET', url: '/v1/kv?revision=3&keysOnly=true' });
    expect(listed.json()).toEqual({
      revision: 3,
      items: [
        { key: 'a', createRevision: 1, modRevision: 3, version: 2 },
        { key: 'b', createRevision: 2, modRevision: 2, version: 1 },
      ],
      next: null,
      continue: null,
    });
  });

  it('keeps the pages of one listing at the revision of the first, through continue', async () => {
    const { app } = await written();
    const first = (await app.inject({ method: 'GET', url: '/v1/kv?limit=1' })).json();
    expect(first).toMatchObject({ revision: 5, items: [{ key: 'a', value: base64('2') }], next: 'a' });
    // Changes after the first page: none of them shows in the later pages.
    await app.inject({ method: 'PUT', url: '/v1/kv/b', payload: 'new' });
    await app.inject({ method: 'DELETE', url: '/v1/kv/c' });
    await app.inject({ method: 'PUT', url: '/v1/kv/d', payload: '1' });
    const second = (await app.inject({ method: 'GET', url: `/v1/kv?limit=1&continue=${first.continue}` })).json();
    expect(second).toMatchObject({ revision: 5, items: [{ key: 'c', value: base64('1') }], next: 'c' });
    const third = (await app.inject({ method: 'GET', url: `/v1/kv?limit=1&continue=${second.continue}` })).json();
    expect(third).toMatchObject({ revision: 5, items: [], next: null, continue: null });
    // `after` alone continues at the current revision.
    const current = (await app.inject({ method: 'GET', url: '/v1/kv?after=a&keysOnly=true' })).json();
    expect(current).toMatchObject({ revision: 8, items: [{ key: 'b' }, { key: 'd' }] });
  });

  it('refuses a bad continuation, or one given with after or revision', async () => {
    const { app } = await written();
    const { continue: token } = (await app.inject({ method: 'GET', url: '/v1/kv?limit=1' })).json();
    for (const url of [
      '/v1/kv?continue=xyz',
      `/v1/kv?continue=${Buffer.from('[-1,"a"]').toString('base64url')}`,
      `/v1/kv?continue=${Buffer.from('[1,""]').toString('base64url')}`,
      `/v1/kv?continue=${token}&after=a`,
      `/v1/kv?continue=${token}&revision=2`,
    ]) {
      const refused = await app.inject({ method: 'GET', url });
      expect(refused.statusCode).toBe(400);
      expect(refused.json().error).toMatchObject({ code: 'bad_request', message: expect.stringContaining('continue') });
    }
  });

  it('answers 400 future_revision past the current revision', async () => {
    const { app } = await written();
    for (const url of ['/v1/kv/a?revision=6', '/v1/kv?revision=6']) {
      const future = await app.inject({ method: 'GET', url });
      expect(future.statusCode).toBe(400);
      expect(future.json().error.code).toBe('future_revision');
      expect(future.headers['x-mrtom-revision']).toBe('5');
    }
  });
});

describe('compaction', () => {
  it('compacts through the log, raise-only, and answers 410 compacted below the compact revision', async () => {
    const { app, service } = await written();
    const compact = await app.inject({ method: 'POST', url: '/v1/compact?revision=3' });
    expect(compact.statusCode).toBe(200);
    expect(compact.json()).toEqual({ revision: 5, compactRevision: 3 });
    expect(service.submitted.at(-1)).toEqual({ type: 'compact', revision: 3 });
    expect((await app.inject({ method: 'POST', url: '/v1/compact?revision=2' })).json()).toEqual({ revision: 5, compactRevision: 3 });
    for (const url of ['/v1/kv/a?revision=2', '/v1/kv?revision=1', '/v1/watch?fromRevision=2']) {
      const gone = await app.inject({ method: 'GET', url });
      expect(gone.statusCode).toBe(410);
      expect(gone.json().error).toMatchObject({ code: 'compacted', oldestRevision: 3 });
    }
    // From the compact revision on, reads stay exact.
    expect((await app.inject({ method: 'GET', url: '/v1/kv/a?revision=3' })).body).toBe('2');
    expect((await app.inject({ method: 'GET', url: '/v1/kv/b?revision=3' })).body).toBe('1');
    const future = await app.inject({ method: 'POST', url: '/v1/compact?revision=6' });
    expect(future.statusCode).toBe(400);
    expect(future.json().error.code).toBe('future_revision');
  });

  it('refuses a compact with no revision or revision 0', async () => {
    const { app } = await written();
    for (const url of ['/v1/compact', '/v1/compact?revision=0', '/v1/compact?revision=x']) {
      const refused = await app.inject({ method: 'POST', url });
      expect(refused.statusCode).toBe(400);
      expect(refused.json().error.code).toBe('bad_request');
    }
  });
});
