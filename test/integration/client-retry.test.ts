// Proves the SDK's retry rules at the edge of the world: HTTP endpoints on loopback that drop the
// connection after reading a request (a replica killed mid-request, the outcome unknown) or answer it.
// A write carries one Idempotency-Key, the same on every attempt and every endpoint; without a key an
// unconditional write is not repeated and its error says it may have happened; a conditional one is.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Client, UnavailableError } from '../../src/client/index.js';

interface Endpoint {
  url: string;
  /** Idempotency-Key of each request received, in order ('' when absent). */
  keys: string[];
  close(): Promise<void>;
}

/** An endpoint that reads each request whole, then either drops the connection or answers 200. */
async function endpoint(behaviour: 'drop' | 'answer'): Promise<Endpoint> {
  const keys: string[] = [];
  const server: Server = createServer((request: IncomingMessage, response) => {
    request.resume();
    request.on('end', () => {
      keys.push(String(request.headers['idempotency-key'] ?? ''));
      if (behaviour === 'drop') request.socket.destroy();
      else response.writeHead(200, { 'content-type': 'application/json' }).end('{"revision":7}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    keys,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('SDK retry rules', () => {
  const opened: Endpoint[] = [];
  const open = async (behaviour: 'drop' | 'answer'): Promise<Endpoint> => {
    const e = await endpoint(behaviour);
    opened.push(e);
    return e;
  };
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((e) => e.close()));
  });

  it('a write whose connection dropped is retried on the next endpoint under the same Idempotency-Key', async () => {
    const [dropping, answering] = [await open('drop'), await open('answer')];
    const client = new Client({ endpoints: [dropping.url, answering.url] });
    try {
      expect(await client.put('k', 'v')).toEqual({ revision: 7 });
      expect(await client.put('k', 'v')).toEqual({ revision: 7 });
    } finally {
      await client.close();
    }
    // The first put reached both; the second went straight to the endpoint that answered last.
    expect(dropping.keys).toHaveLength(1);
    expect(answering.keys).toHaveLength(2);
    expect(answering.keys[0]).toBe(dropping.keys[0]);
    expect(answering.keys[1]).not.toBe(answering.keys[0]);
    expect(answering.keys[0]).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('keeps one key across every attempt of one write until the attempts run out', async () => {
    const dropping = await open('drop');
    const client = new Client({ endpoints: [dropping.url], retry: { attemptsMax: 3, backoffMsMin: 1, backoffMsMax: 300 } });
    try {
      const error = await client.put('k', 'v', { idempotencyKey: 'order-42' }).catch((err: unknown) => err);
      expect(error).toBeInstanceOf(UnavailableError);
      expect((error as UnavailableError).mayHaveHappened).toBe(true);
    } finally {
      await client.close();
    }
    // The endpoint is marked down after each drop, so not every attempt reaches it; each one that did carried the key.
    expect(dropping.keys.length).toBeGreaterThanOrEqual(1);
    expect(new Set(dropping.keys)).toEqual(new Set(['order-42']));
  });

  it('without a key, an unconditional write is not repeated and may have happened; a conditional one is repeated', async () => {
    const [dropping, answering] = [await open('drop'), await open('answer')];
    const client = new Client({ endpoints: [dropping.url, answering.url] });
    try {
      const error = await client.put('k', 'v', { idempotencyKey: false }).catch((err: unknown) => err);
      expect(error).toBeInstanceOf(UnavailableError);
      expect((error as UnavailableError).mayHaveHappened).toBe(true);
      expect([dropping.keys, answering.keys]).toEqual([[''], []]);
    } finally {
      await client.close();
    }
    // A fresh client, so the first attempt goes to the dropping endpoint again.
    const again = new Client({ endpoints: [dropping.url, answering.url] });
    try {
      expect(await again.put('k', 'v', { idempotencyKey: false, ifRevision: 3 })).toEqual({ revision: 7 });
      expect(answering.keys).toEqual(['']);
    } finally {
      await again.close();
    }
  });
});
