// Proves every failure leaves as {"error": {"code", "message"}} with the mapped status and headers, and that
// only server-side failures are logged — by making the store-backed service fail and injecting requests.
import { describe, expect, it } from 'vitest';
import { ServiceError, type ServiceErrorCode } from '../../../src/api/service-errors.js';
import { buildTestServer } from './store-service.js';

async function failingServer(error: Error) {
  const server = await buildTestServer();
  // Read barriers are ops too, so a failing submit fails reads as well.
  server.service.submit = async () => {
    throw error;
  };
  return server;
}

describe('error mapping', () => {
  it.each<[ServiceErrorCode, number | undefined, number, string | undefined]>([
    ['unavailable', 3, 503, '3'],
    ['unavailable', undefined, 503, '1'],
    ['overloaded', undefined, 503, '1'],
    ['overloaded', 2, 503, '2'],
    ['shutting_down', undefined, 503, undefined],
    ['value_too_large', undefined, 413, undefined],
  ])('maps ServiceError %s (retry after %s) to %i with Retry-After %s', async (code, retryAfter, status, header) => {
    const { app } = await failingServer(new ServiceError(code, `service says ${code}`, retryAfter));
    const res = await app.inject({ method: 'PUT', url: '/v1/kv/k', payload: 'v' });
    expect(res.statusCode).toBe(status);
    expect(res.headers['retry-after']).toBe(header);
    expect(res.json()).toEqual({ error: { code, message: `service says ${code}` } });
  });

  it('maps commit_timeout to 504 and says the write may or may not have happened', async () => {
    const { app } = await failingServer(new ServiceError('commit_timeout', 'no commit within 2000 ms'));
    const res = await app.inject({ method: 'DELETE', url: '/v1/kv/k' });
    expect(res.statusCode).toBe(504);
    const { error } = res.json();
    expect(error.code).toBe('commit_timeout');
    expect(error.message).toMatch(/^no commit within 2000 ms; the write may or may not have happened/);
  });

  it('logs 503s at warn and client errors not at all', async () => {
    const { app, logs } = await failingServer(new ServiceError('unavailable', 'no quorum'));
    await app.inject({ method: 'GET', url: '/v1/kv/' });
    await app.inject({ method: 'GET', url: '/nowhere' });
    expect(logs).toEqual([]);
    await app.inject({ method: 'GET', url: '/v1/kv/k' });
    expect(logs).toEqual([expect.objectContaining({ level: 40, code: 'unavailable', msg: 'no quorum' })]);
  });

  it('hides an unexpected error behind 500 internal and logs it at error with the error', async () => {
    const { app, logs } = await failingServer(new TypeError('cannot read properties of undefined'));
    const res = await app.inject({ method: 'GET', url: '/v1/kv/k' });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({ error: { code: 'internal', message: 'internal server error' } });
    expect(logs).toEqual([
      expect.objectContaining({ level: 50, err: expect.objectContaining({ message: 'cannot read properties of undefined' }) }),
    ]);
  });

  it('answers an unknown route with 404 not_found', async () => {
    const { app } = await buildTestServer();
    const res = await app.inject({ method: 'GET', url: '/v2/kv/k?x=1' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ error: { code: 'not_found', message: 'no route for GET /v2/kv/k' } });
  });

  it('answers a schema violation with 400 bad_request naming the field', async () => {
    const { app } = await buildTestServer();
    const res = await app.inject({ method: 'GET', url: '/readyz?verbose=yes' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ error: { code: 'bad_request', message: expect.stringContaining('querystring/verbose') } });
  });
});
