// Proves /v1/watch streams the replicated history from a revision as NDJSON or SSE, one frame per
// revision filtered by prefix or exact key, follows new writes, and answers 410 compacted for a start older than the
// window; a catch-up over large values is paced, not cut — over a real listening server and a real store.
import { describe, expect, it } from 'vitest';
import { request } from 'undici';
import { PassThrough } from 'node:stream';
import { buildTestServer } from './store-service.js';
import { WATCHES_PER_ADDRESS_MAX } from '../../../src/api/routes/watch.js';
import { VALUE_BYTES_MAX_DEFAULT } from '../../../src/api/value-limit.js';
import { firstWatchPage, WatchStream } from '../../../src/api/watch-stream.js';

/** Reads frames from a streaming body until `count` arrived; bounded by the test timeout. */
async function frames(body: AsyncIterable<Buffer>, count: number, separator: string): Promise<string[]> {
  let text = '';
  for await (const chunk of body) {
    text += chunk.toString('utf8');
    const parts = text.split(separator).filter((part) => part.length > 0);
    if (parts.length >= count && text.endsWith(separator)) return parts;
  }
  throw new Error(`stream ended after: ${text}`);
}

async function listening(options: { eventRetainRevisions?: number } = {}) {
  const server = await buildTestServer(options);
  const base = await server.app.listen({ host: '127.0.0.1', port: 0 });
  const put = (key: string, value: string) => server.app.inject({ method: 'PUT', url: `/v1/kv/${key}`, payload: value });
  return { ...server, base, put };
}

describe('watch', () => {
  it('sends history from fromRevision, then live changes, only for the prefix (NDJSON)', async () => {
    const { base, put } = await listening();
    await put('w/a', '1');
    await put('other', 'x');
    await put('w/b', '2');
    const res = await request(`${base}/v1/watch?prefix=w/&fromRevision=2`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/x-ndjson');
    const reading = frames(res.body, 2, '\n');
    await put('w/a', '3');
    const lines = (await reading).map((line) => JSON.parse(line));
    expect(lines.map((line) => [line.revision, line.events[0].key, Buffer.from(line.events[0].value, 'base64').toString()])).toEqual([
      [3, 'w/b', '2'],
      [4, 'w/a', '3'],
    ]);
    expect(lines[1].events[0]).toMatchObject({ type: 'put', createRevision: 1, modRevision: 4, version: 2 });
    res.body.destroy();
  });

  it('paces a catch-up over many 1 MiB values with prev instead of cutting the stream, which then follows new writes', async () => {
    const { base, app } = await listening();
    const value = (i: number) => Buffer.alloc(VALUE_BYTES_MAX_DEFAULT, i);
    const putValue = async (i: number) => {
      const headers = { 'content-type': 'application/octet-stream' };
      expect((await app.inject({ method: 'PUT', url: '/v1/kv/big', payload: value(i), headers })).statusCode).toBe(200);
    };
    for (let i = 1; i <= 8; i++) await putValue(i);
    const res = await request(`${base}/v1/watch?key=big&fromRevision=1&prev=true`);
    // One reader across both waits: a stream cut after the catch-up ends before the ninth frame.
    const chunks = res.body[Symbol.asyncIterator]();
    const parts: string[] = [];
    let frameCount = 0;
    const linesUpTo = async (count: number) => {
      while (frameCount < count) {
        const next = await chunks.next();
        if (next.done === true) throw new Error(`stream ended after ${frameCount} frames`);
        const chunk = (next.value as Buffer).toString('utf8');
        parts.push(chunk);
        for (const char of chunk) if (char === '\n') frameCount += 1;
      }
      return parts
        .join('')
        .split('\n')
        .slice(0, count)
        .map((line) => JSON.parse(line));
    };
    const caughtUp = await linesUpTo(8);
    expect(caughtUp.map((line) => line.revision)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    await putValue(9);
    const lines = await linesUpTo(9);
    lines.forEach((line, i) => {
      expect(Buffer.from(line.events[0].value, 'base64').equals(value(i + 1))).toBe(true);
      if (i > 0) expect(Buffer.from(line.events[0].prev.value, 'base64').equals(value(i))).toBe(true);
    });
    res.body.destroy();
  });

  it('sends a write applied after its first page was read but before it subscribed, with no later write', async () => {
    const { service, put } = await listening();
    await put('k', '1');
    const first = await firstWatchPage(service, 1, false);
    if (!('page' in first)) throw new Error('revision 1 is not compacted');
    await put('k', '2'); // Applied and announced while nothing listens yet.
    const out = new PassThrough();
    const stream = new WatchStream(service, {
      target: { prefix: '' },
      format: 'ndjson',
      out,
      first: { fromRevision: 1, page: first.page },
      prev: false,
      every: () => ({ cancel: () => {} }),
      onEnd: () => {},
    });
    const lines = (await frames(out, 2, '\n')).map((line) => JSON.parse(line));
    expect(lines.map((line) => line.revision)).toEqual([1, 2]);
    stream.end('client_closed');
  });

  it('watches one exact key with ?key=, not the keys it prefixes', async () => {
    const { base, put } = await listening();
    await put('k', '1');
    await put('k2', 'x');
    await put('k/child', 'y');
    await put('k', '2');
    const res = await request(`${base}/v1/watch?key=k&fromRevision=1`);
    const lines = (await frames(res.body, 2, '\n')).map((line) => JSON.parse(line));
    expect(lines.map((line) => [line.revision, line.events.map((event: { key: string }) => event.key)])).toEqual([
      [1, ['k']],
      [4, ['k']],
    ]);
    res.body.destroy();
  });

  it('speaks SSE with id = revision and resumes after Last-Event-ID', async () => {
    const { base, put, app } = await listening();
    await put('k', '1');
    await put('k', '2');
    await app.inject({ method: 'DELETE', url: '/v1/kv/k' });
    const res = await request(`${base}/v1/watch`, { headers: { accept: 'text/event-stream', 'last-event-id': '1' } });
    expect(res.headers['content-type']).toBe('text/event-stream');
    const events = await frames(res.body, 2, '\n\n');
    expect(events[0]).toMatch(/^id: 2\ndata: /);
    expect(JSON.parse(events[1]!.split('data: ')[1]!)).toEqual({ revision: 3, events: [{ type: 'delete', key: 'k', modRevision: 3 }] });
    res.body.destroy();
  });

  it("with prev=true carries each event's previous record, from the history and live", async () => {
    const { base, put, app } = await listening();
    await put('k', '1');
    await put('k', '2');
    await app.inject({ method: 'DELETE', url: '/v1/kv/k' });
    const res = await request(`${base}/v1/watch?key=k&fromRevision=1&prev=true`);
    const reading = frames(res.body, 4, '\n');
    await put('k', '3');
    const prevs = (await reading).map((line) => JSON.parse(line).events[0].prev);
    const b64 = (text: string) => Buffer.from(text).toString('base64');
    expect(prevs).toEqual([
      null,
      { value: b64('1'), createRevision: 1, modRevision: 1, version: 1 },
      { value: b64('2'), createRevision: 1, modRevision: 2, version: 2 },
      null,
    ]);
    res.body.destroy();
  });

  it('answers 410 compacted with the oldest revision still held', async () => {
    const { app, put } = await listening({ eventRetainRevisions: 2 });
    for (const value of ['1', '2', '3', '4']) await put('k', value);
    const res = await app.inject({ method: 'GET', url: '/v1/watch?fromRevision=2' });
    expect(res.statusCode).toBe(410);
    expect(res.json().error).toEqual({
      code: 'compacted',
      message: expect.stringContaining('revision 2 was compacted'),
      oldestRevision: 3,
    });
  });

  it.each([
    ['/v1/watch?fromRevision=0', 'querystring/fromRevision must be an integer from 1 to 9007199254740991'],
    ['/v1/watch?from=3', "querystring: unknown parameter 'from'"],
    ['/v1/watch?key=k&prefix=k', 'querystring: give key or prefix, not both'],
    ['/v1/watch?key=', 'querystring/key is empty'],
    ['/v1/watch?key=a/../b', "querystring/key has a '..' segment"],
  ])('refuses %s with 400', async (url, message) => {
    const { app } = await buildTestServer();
    const res = await app.inject({ method: 'GET', url });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toContain(message);
  });
});

describe('watch limits', () => {
  it(`refuses watch ${WATCHES_PER_ADDRESS_MAX + 1} from one address with 429 and accepts again once one closes`, async () => {
    const { base } = await listening();
    const open = [];
    for (let i = 0; i < WATCHES_PER_ADDRESS_MAX; i++) {
      const res = await request(`${base}/v1/watch`);
      expect(res.statusCode).toBe(200);
      open.push(res);
    }
    const refused = await request(`${base}/v1/watch`);
    expect(refused.statusCode).toBe(429);
    expect(((await refused.body.json()) as { error: { code: string } }).error.code).toBe('too_many_watches');
    open.pop()!.body.destroy();
    // The server notices the closed connection asynchronously; wait for that condition, bounded by the test timeout.
    let again = await request(`${base}/v1/watch`);
    while (again.statusCode === 429) {
      await again.body.dump();
      await new Promise((resolve) => setTimeout(resolve, 20));
      again = await request(`${base}/v1/watch`);
    }
    expect(again.statusCode).toBe(200);
    const metrics = (await request(`${base}/metrics`)).body.text();
    expect(await metrics).toContain(`mrtom_watch_streams ${WATCHES_PER_ADDRESS_MAX}`);
    expect(await metrics).toContain('mrtom_watch_streams_ended_total{reason="client_closed"} 1');
    for (const res of [...open, again]) res.body.destroy();
  });
});
