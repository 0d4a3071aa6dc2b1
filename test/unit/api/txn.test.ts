// Proves POST /v1/txn runs compare/success/failure atomically at one revision with per-op results, and
// refuses malformed or oversized txns with 400/413 naming the field — via app.inject() over a real store.
import { describe, expect, it } from 'vitest';
import { buildTestServer } from './store-service.js';

const b64 = (text: string): string => Buffer.from(text).toString('base64');

describe('txn', () => {
  it('runs the success branch when every compare holds, all writes at one revision', async () => {
    const { app } = await buildTestServer();
    await app.inject({ method: 'PUT', url: '/v1/kv/acct/a', payload: '10' });
    const res = await app.inject({
      method: 'POST',
      url: '/v1/txn',
      payload: {
        compare: [
          { key: 'acct/a', target: 'value', op: '==', value: b64('10') },
          { key: 'acct/b', target: 'exists', op: '==', value: false },
        ],
        success: [
          { put: { key: 'acct/a', value: b64('5') } },
          { put: { key: 'acct/b', value: b64('5') } },
          { range: { prefix: 'acct/' } },
          { get: { key: 'acct/b' } },
        ],
        failure: [{ get: { key: 'acct/a' } }],
      },
    });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ revision: 2, succeeded: true });
    expect(body.results[0]).toEqual({ put: { modRevision: 2 } });
    expect(body.results[2].range.items.map((item: { key: string; value: string }) => [item.key, item.value])).toEqual([
      ['acct/a', b64('5')],
      ['acct/b', b64('5')],
    ]);
    expect(body.results[3].get.item).toMatchObject({ key: 'acct/b', createRevision: 2, version: 1 });
  });

  it('runs the failure branch when a compare fails and says so', async () => {
    const { app } = await buildTestServer();
    const res = await app.inject({
      method: 'POST',
      url: '/v1/txn',
      payload: {
        compare: [{ key: 'x', target: 'version', op: '>', value: 0 }],
        success: [{ delete: { key: 'x' } }],
        failure: [{ get: { key: 'x' } }],
      },
    });
    expect(res.json()).toEqual({ revision: 0, succeeded: false, results: [{ get: { item: null } }] });
  });

  it.each([
    [{ compare: [{ key: 'k', target: 'value', op: '==', value: 3 }] }, 400, 'body/compare/0/value must be base64 bytes'],
    [{ compare: [{ key: 'k', target: 'version', op: '>=', value: 3 }] }, 400, 'body/compare/0/op must be one of "==", "!=", "<", ">"'],
    [{ success: [{ put: { key: 'k' } }] }, 400, "body/success/0/put: missing field 'value'"],
    [
      { success: [{ put: { key: 'k', value: 'not base64!' } }] },
      400,
      'body/success/0/put/value must be bytes, base64-encoded with padding',
    ],
    [{ success: [{ put: { key: 'k', value: 'QQ' } }] }, 400, 'body/success/0/put/value must be bytes, base64-encoded with padding'],
    [{ success: [{ put: { key: 'k', value: 'QR==' } }] }, 400, 'body/success/0/put/value is not canonical base64'],
    [{ compare: [{ key: 'k', target: 'value', op: '==', value: 'QQ' }] }, 400, 'body/compare/0/value is not canonical base64'],
    [
      { compare: [{ key: 'k', target: 'value', op: '==', value: null }] },
      400,
      'body/compare/0/value must be one of the types string, integer, boolean',
    ],
    [{ success: [{}] }, 400, 'body/success/0 must have exactly one of the properties put, get, delete, range'],
    [{ success: [{ get: { key: 7 } }] }, 400, 'body/success/0/get/key must be string'],
    [{ sucess: [] }, 400, "body: unknown field 'sucess'"],
    [{ success: Array.from({ length: 5 }, () => ({ get: { key: 'k' } })) }, 400, 'body/success must not have more than 4 items'],
    [
      { success: Array.from({ length: 3 }, () => ({ get: { key: 'k' } })), failure: [{ get: { key: 'k' } }, { get: { key: 'k' } }] },
      413,
      'the limit is 4',
    ],
  ])('refuses %j with %i', async (payload, status, message) => {
    const { app, service } = await buildTestServer({ txnOpsMax: 4 });
    const res = await app.inject({ method: 'POST', url: '/v1/txn', payload });
    expect(res.statusCode).toBe(status);
    expect(res.json().error.message).toContain(message);
    expect(service.submitted).toHaveLength(0);
  });
});

describe('txn query string', () => {
  it('refuses query parameters with 400 naming them', async () => {
    const { app } = await buildTestServer();
    const res = await app.inject({ method: 'POST', url: '/v1/txn?dryRun=1', payload: {} });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toBe("querystring: unknown parameter 'dryRun'");
  });
});
