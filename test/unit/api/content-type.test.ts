// Proves content types are checked where they enter (a PUT's Content-Type, a txn put's contentType) as
// RFC 9110 media types of at most CONTENT_TYPE_BYTES_MAX bytes, that a stored one that cannot be sent as a
// header is served as application/octet-stream instead of breaking its key, and that JSON and bodiless
// routes answer a body they cannot take with a 415 saying what to send — via app.inject() over a real store.
import { describe, expect, it } from 'vitest';
import { CONTENT_TYPE_BYTES_MAX } from '../../../src/api/content-type.js';
import { buildTestServer } from './store-service.js';

const b64 = (text: string): string => Buffer.from(text).toString('base64');
const ofBytes = (bytes: number): string => `a/${'b'.repeat(bytes - 2)}`;
const NOT_MEDIA_TYPE = 'must be a media type such as text/plain; charset=utf-8 (RFC 9110 §8.3.1) in visible ASCII';

const REFUSED_HEADERS: [string, string][] = [
  ['garbage', NOT_MEDIA_TYPE],
  ['text', NOT_MEDIA_TYPE],
  ['', NOT_MEDIA_TYPE],
  ['text/plain; x=é', NOT_MEDIA_TYPE], // Latin-1 in a header: Node would send it back as another byte
  ['text/plain; x="unterminated', NOT_MEDIA_TYPE],
  ['text/ plain', NOT_MEDIA_TYPE],
  [ofBytes(CONTENT_TYPE_BYTES_MAX + 1), `is ${CONTENT_TYPE_BYTES_MAX + 1} bytes; the limit is ${CONTENT_TYPE_BYTES_MAX}`],
];

const KEPT = [
  'application/json',
  'text/plain; charset="utf-8"',
  'application/vnd.api+json',
  'multipart/mixed; boundary=x;q=1',
  'text/plain;',
];

describe('content types on PUT', () => {
  it.each(REFUSED_HEADERS)(
    'refuses Content-Type %j with 400 invalid_content_type, on PUT and DELETE alike',
    async (contentType, message) => {
      const { app, service } = await buildTestServer();
      for (const method of ['PUT', 'DELETE'] as const) {
        const res = await app.inject({ method, url: '/v1/kv/k', payload: 'v', headers: { 'content-type': contentType } });
        expect(res.statusCode).toBe(400);
        expect(res.json()).toEqual({
          error: {
            code: 'invalid_content_type',
            message: `Content-Type ${message}`,
          },
        });
      }
      expect(service.submitted).toEqual([]);
    },
  );

  it.each([...KEPT, ofBytes(CONTENT_TYPE_BYTES_MAX)])('stores and serves Content-Type %j as sent', async (contentType) => {
    const { app } = await buildTestServer();
    expect((await app.inject({ method: 'PUT', url: '/v1/kv/k', payload: 'v', headers: { 'content-type': contentType } })).statusCode).toBe(
      200,
    );
    const get = await app.inject({ method: 'GET', url: '/v1/kv/k' });
    expect(get.headers['content-type']).toBe(contentType);
  });
});

describe('content types in a txn put', () => {
  it.each([
    ['text/plain; x=\u4e2d', NOT_MEDIA_TYPE],
    ['text/plain\r\nx-injected: 1', NOT_MEDIA_TYPE],
    ['text/plain\u0000', NOT_MEDIA_TYPE],
    ['', NOT_MEDIA_TYPE],
    [ofBytes(CONTENT_TYPE_BYTES_MAX + 1), `is ${CONTENT_TYPE_BYTES_MAX + 1} bytes`],
  ])('refuses contentType %j with 400 invalid_content_type naming the field', async (contentType, message) => {
    const { app, service } = await buildTestServer();
    const payload = { success: [{ get: { key: 'k' } }, { put: { key: 'k', value: b64('v'), contentType } }] };
    const res = await app.inject({ method: 'POST', url: '/v1/txn', payload });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toEqual({
      code: 'invalid_content_type',
      message: expect.stringContaining(`body/success/1/put/contentType ${message}`),
    });
    expect(service.submitted).toEqual([]);
  });

  it('takes a content type of the largest size', async () => {
    const { app } = await buildTestServer();
    const contentType = ofBytes(CONTENT_TYPE_BYTES_MAX);
    await app.inject({ method: 'POST', url: '/v1/txn', payload: { success: [{ put: { key: 'k', value: b64('v'), contentType } }] } });
    expect((await app.inject({ method: 'GET', url: '/v1/kv/k' })).headers['content-type']).toBe(contentType);
  });
});

describe('a stored content type that cannot be sent', () => {
  it.each(['text/plain; x=\u4e2d', 'text/plain\r\nx: 1', ''])(
    'serves the value as application/octet-stream (stored %j)',
    async (contentType) => {
      const { app, service } = await buildTestServer();
      // Written past the API, as a store written before the rule may hold it.
      await service.submit({ type: 'put', key: 'k', value: Buffer.from('bytes'), contentType });
      for (const method of ['GET', 'HEAD'] as const) {
        const res = await app.inject({ method, url: '/v1/kv/k' });
        expect(res.statusCode).toBe(200);
        expect(res.headers['content-type']).toBe('application/octet-stream');
      }
      expect((await app.inject({ method: 'GET', url: '/v1/kv/k' })).body).toBe('bytes');
    },
  );
});

describe('bodies a route cannot take', () => {
  it('answers a form body to /v1/txn with 415 saying to send application/json', async () => {
    const { app, service } = await buildTestServer();
    const res = await app.inject({
      method: 'POST',
      url: '/v1/txn',
      payload: 'compare=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(res.statusCode).toBe(415);
    expect(res.json()).toEqual({
      error: {
        code: 'unsupported_media_type',
        message: 'POST /v1/txn takes a JSON body: send Content-Type: application/json (got application/x-www-form-urlencoded)',
      },
    });
    expect(service.submitted).toEqual([]);
  });

  it('answers curl -d to /v1/leases with 415 saying its parameters go in the query string', async () => {
    const { app, service } = await buildTestServer();
    const res = await app.inject({
      method: 'POST',
      url: '/v1/leases',
      payload: 'ttl=30s',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(res.statusCode).toBe(415);
    expect(res.json().error.message).toBe(
      'POST /v1/leases takes no request body; its parameters go in the query string (got Content-Type: application/x-www-form-urlencoded)',
    );
    expect(service.submitted).toEqual([]);
  });

  it('answers a malformed Content-Type on a JSON route with the same 415', async () => {
    const { app } = await buildTestServer();
    const res = await app.inject({ method: 'POST', url: '/v1/txn', payload: '{}', headers: { 'content-type': 'garbage' } });
    expect(res.statusCode).toBe(415);
    expect(res.json().error.message).toContain('send Content-Type: application/json');
  });
});
