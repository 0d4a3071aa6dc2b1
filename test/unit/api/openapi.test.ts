// Proves /openapi.json is a valid OpenAPI 3 document (checked by @apidevtools/swagger-parser) that
// describes every public route the server registers, HEAD included, and no internal one (the replicas'
// snapshot transfer, registered as replica-node does), each with an operationId, summary and tags, every
// integer input bounded, every error status with its codes — built from the real server over a real store.
import SwaggerParser from '@apidevtools/swagger-parser';
import type { OpenAPIV3 } from 'openapi-types';
import { beforeEach, describe, expect, it } from 'vitest';
import { documentedUrl, type RouteDoc } from '../../../src/api/openapi.js';
import { ERROR_CODE_MEANINGS } from '../../../src/api/error-codes.js';
import { INTEGER_MAX } from '../../../src/api/schemas.js';
import { snapshotRoutes } from '../../../src/runtime/snapshot-transfer.js';
import { buildTestServer } from './store-service.js';

interface Registered {
  method: string;
  url: string;
  tagged: boolean;
  doc: RouteDoc | undefined;
}

type Operation = OpenAPIV3.OperationObject;

let doc: OpenAPIV3.Document;
let registered: Registered[];

beforeEach(async () => {
  const { app, service } = await buildTestServer();
  registered = [];
  // Before ready, so it sees every route of every plugin, and the internal one added below.
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      const tagged = Array.isArray(route.schema?.tags) && route.schema.tags.length > 0;
      registered.push({ method, url: route.url, tagged, doc: route.config?.openapi });
    }
  });
  await app.register(snapshotRoutes, { snapshot: () => service.store.state.snapshot() });
  doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
});

function operations(): [string, string, Operation][] {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item!)
      .filter(([method]) => ['get', 'head', 'put', 'post', 'delete', 'patch', 'options'].includes(method))
      .map(([method, operation]) => [path, method, operation as Operation] as [string, string, Operation]),
  );
}

/** Every schema nested in `schema` (properties, items, unions), itself included. */
function* schemasIn(schema: unknown): Generator<Record<string, unknown>> {
  if (typeof schema !== 'object' || schema === null) return;
  const node = schema as Record<string, unknown>;
  yield node;
  for (const value of Object.values(node.properties ?? {})) yield* schemasIn(value);
  for (const key of ['items', 'additionalProperties']) yield* schemasIn(node[key]);
  for (const key of ['anyOf', 'oneOf', 'allOf']) for (const branch of (node[key] as unknown[] | undefined) ?? []) yield* schemasIn(branch);
}

describe('/openapi.json', () => {
  it('is a valid OpenAPI 3 document', async () => {
    expect(doc.openapi).toMatch(/^3\.0\./);
    // validate() resolves references in place; it gets a copy.
    await expect(SwaggerParser.validate(structuredClone(doc) as never)).resolves.toBeTruthy();
  });

  it('describes every public route, HEAD included, and nothing else', () => {
    const publicRoutes = registered.filter((route) => route.tagged);
    const described = operations().map(([path, method]) => `${method.toUpperCase()} ${path}`);
    const expected = publicRoutes.map((route) => `${route.method} ${documentedUrl(route.url, route.doc).replace(/:([A-Za-z]+)/g, '{$1}')}`);
    expect(described.sort()).toEqual(expected.sort());
    expect(expected).toEqual(expect.arrayContaining(['GET /v1/kv/{key}', 'HEAD /v1/kv/{key}', 'PUT /v1/kv/{key}', 'POST /v1/txn']));
  });

  it('leaves out internal routes, and only those are untagged', () => {
    const internal = registered.filter((route) => !route.tagged).map((route) => `${route.method} ${route.url}`);
    expect(internal.sort()).toEqual(['GET /internal/v1/snapshot', 'HEAD /internal/v1/snapshot']);
    expect(Object.keys(doc.paths).filter((path) => path.startsWith('/internal'))).toEqual([]);
  });

  it('gives every operation a unique operationId, a summary and a tag', () => {
    const ids = operations().map(([, , operation]) => operation.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const [path, method, operation] of operations()) {
      expect(operation.summary, `${method} ${path}`).toMatch(/\w/);
      expect(operation.tags, `${method} ${path}`).toHaveLength(1);
    }
  });

  it('bounds every integer a request can carry by 2^53 - 1', () => {
    let integers = 0;
    for (const [path, method, operation] of operations()) {
      const parameters = (operation.parameters ?? []) as OpenAPIV3.ParameterObject[];
      const body = operation.requestBody as OpenAPIV3.RequestBodyObject | undefined;
      const inputs = [
        ...parameters.map((parameter) => parameter.schema),
        ...Object.values(body?.content ?? {}).map((media) => media.schema),
      ];
      for (const schema of inputs.flatMap((input) => [...schemasIn(input)])) {
        if (schema.type !== 'integer') continue;
        integers += 1;
        expect(schema.maximum, `${method} ${path}`).toBeLessThanOrEqual(INTEGER_MAX);
      }
    }
    expect(integers).toBeGreaterThan(5);
  });

  it('lists the codes of every error status, each a known code, with Retry-After on 503', () => {
    for (const [path, method, operation] of operations()) {
      for (const [status, response] of Object.entries(operation.responses)) {
        if (Number(status) < 400) continue;
        const { content, headers } = response as OpenAPIV3.ResponseObject;
        const schemas = [...schemasIn(content?.['application/json']?.schema)];
        const codes = schemas.flatMap((schema) => (schema.properties as Record<string, { enum?: string[] }>)?.code?.enum ?? []);
        expect(codes.length, `${method} ${path} ${status}`).toBeGreaterThan(0);
        for (const code of codes) expect(Object.keys(ERROR_CODE_MEANINGS)).toContain(code);
        if (status === '503' && path !== '/readyz') expect(headers, `${method} ${path}`).toHaveProperty('retry-after');
      }
    }
  });

  it('names the key parameter and documents the headers of keys and watches', () => {
    const key = doc.paths['/v1/kv/{key}']!;
    const parameters = (operation: Operation | undefined) =>
      ((operation?.parameters ?? []) as OpenAPIV3.ParameterObject[]).map((p) => `${p.in}:${p.name}`);
    expect(parameters(key.get)).toEqual(expect.arrayContaining(['path:key', 'header:if-none-match', 'query:consistency']));
    expect(parameters(key.put)).toEqual(expect.arrayContaining(['path:key', 'header:if-match', 'header:if-none-match']));
    expect(parameters(doc.paths['/v1/watch']!.get)).toEqual(expect.arrayContaining(['header:accept', 'header:last-event-id']));
    const ok = key.get!.responses['200'] as OpenAPIV3.ResponseObject;
    expect(Object.keys(ok.headers ?? {})).toEqual(['etag', 'x-mrtom-revision']);
    expect(Object.keys((doc.paths['/v1/watch']!.get!.responses['200'] as OpenAPIV3.ResponseObject).content ?? {})).toEqual([
      'application/x-ndjson',
      'text/event-stream',
    ]);
    expect(doc.components?.responses?.MethodNotAllowed).toMatchObject({ headers: { Allow: expect.anything() } });
  });
});

describe('/openapi.json with auth on', () => {
  let authDoc: OpenAPIV3.Document;
  const operationsOf = (document: OpenAPIV3.Document): [string, string, Operation][] =>
    Object.entries(document.paths).flatMap(([path, item]) =>
      Object.entries(item!)
        .filter(([method]) => ['get', 'head', 'put', 'post', 'delete'].includes(method))
        .map(([method, operation]) => [path, method, operation as Operation] as [string, string, Operation]),
    );
  const statusesOf = (operation: Operation): string[] => Object.keys(operation.responses);

  beforeEach(async () => {
    const { app } = await buildTestServer({ auth: { openOperations: false } });
    authDoc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
  });

  it('is still valid, with the bearer scheme, and describes the token routes', async () => {
    await expect(SwaggerParser.validate(structuredClone(authDoc) as never)).resolves.toBeTruthy();
    expect(authDoc.components?.securitySchemes?.bearer).toEqual({ type: 'http', scheme: 'bearer' });
    expect(Object.keys(authDoc.paths)).toEqual(expect.arrayContaining(['/v1/auth/tokens', '/v1/auth/tokens/{id}']));
  });

  it('marks every route but health and this document as needing a token: 401 and 429, and 403 where rules apply', () => {
    const open = ['/livez', '/readyz', '/openapi.json'];
    for (const [path, method, operation] of operationsOf(authDoc)) {
      const where = `${method} ${path}`;
      if (open.includes(path)) {
        expect(operation.security, where).toBeUndefined();
        expect(statusesOf(operation), where).not.toContain('401');
        continue;
      }
      expect(operation.security, where).toEqual([{ bearer: [] }]);
      expect(statusesOf(operation), where).toEqual(expect.arrayContaining(['401', '429']));
      const unauthorized = operation.responses['401'] as OpenAPIV3.ResponseObject;
      expect(unauthorized.headers, where).toHaveProperty('www-authenticate');
      // Any valid token reads status and metrics and renews or inspects a lease: nothing to forbid there.
      const tokenOnly = ['/v1/status', '/metrics'].includes(path) || (path.startsWith('/v1/leases') && method !== 'delete');
      if (tokenOnly) expect(statusesOf(operation), where).not.toContain('403');
      else expect(statusesOf(operation), where).toContain('403');
    }
  });

  it('says nothing of tokens when auth is off', () => {
    expect(doc.components?.securitySchemes).toBeUndefined();
    for (const [path, method, operation] of operations()) {
      expect(operation.security, `${method} ${path}`).toBeUndefined();
      expect(statusesOf(operation), `${method} ${path}`).not.toContain('401');
    }
  });
});
