// Proves the SDK's reads at a revision and compaction against a real HTTP server over a real store:
// get({ revision }), list() pinned to its first page's revision while writes go on, list({ revision }),
// compact(), CompactedError below the compact revision; put and delete with `prev`, put with `ttlMs`
// naming its lease.
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { Client, CompactedError, type ListPage } from '../../src/client/index.js';
import { buildTestServer } from '../unit/api/store-service.js';

async function serving() {
  const { app } = await buildTestServer();
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  return new Client({ endpoints: [`http://127.0.0.1:${port}`] });
}

describe('SDK revisions', () => {
  it('reads and lists at a revision, keeps list() pages at one revision, and compacts', async () => {
    const kv = await serving();
    const { revision: first } = await kv.put('a', '1');
    await kv.put('b', '1');
    await kv.put('a', '2');
    expect((await kv.get('a', { revision: first }))?.text()).toBe('1');
    expect(await kv.get('b', { revision: first })).toBeUndefined();

    const pages = kv.list({ pageSize: 1, keysOnly: true });
    const seen = [(await pages.next()).value as ListPage];
    await kv.put('aa', 'new');
    await kv.delete('b');
    for await (const page of pages) seen.push(page);
    expect(seen.map((page) => [page.revision, page.items.map((item) => item.key)])).toEqual([
      [3, ['a']],
      [3, ['b']],
    ]);
    const past: string[][] = [];
    for await (const page of kv.list({ revision: 2 })) past.push(...page.items.map((item) => [item.key, item.text()]));
    expect(past).toEqual([
      ['a', '1'],
      ['b', '1'],
    ]);

    expect(await kv.compact(3)).toEqual({ revision: 5, compactRevision: 3 });
    await expect(kv.get('a', { revision: 2 })).rejects.toBeInstanceOf(CompactedError);
    expect((await kv.get('b', { revision: 3 }))?.text()).toBe('1');
    await kv.close();
  });

  it('answers put and delete with prev when asked', async () => {
    const kv = await serving();
    expect(await kv.put('k', 'a', { prev: true })).toEqual({ revision: 1, prev: null });
    const { prev } = await kv.put('k', 'b', { prev: true });
    expect([prev?.key, prev?.text(), prev?.modRevision]).toEqual(['k', 'a', 1]);
    expect(await kv.put('k', 'c')).toEqual({ revision: 3 });
    // A lease of its own is named in the answer.
    expect(await kv.put('t', 'x', { ttlMs: 60_000 })).toEqual({ revision: 4, lease: expect.any(Number) });
    const deleted = await kv.delete('k', { prev: true });
    expect([deleted.revision, deleted.deleted, deleted.prev?.text()]).toEqual([5, true, 'c']);
    await kv.close();
  });
});
