// Requests for the fuzz, generated from /openapi.json: each documented operation with its path, query and
// header parameters and body drawn from their schemas (fuzz-values.ts), plus the mistakes a client makes
// around them (unknown or repeated parameters, bad percent-encoding, wrong content types, wrong methods,
// unknown paths). Everything generated can be sent by an HTTP client; what cannot is error-shape.test.ts's.
import fc from 'fast-check';
import type { OpenAPIV3 } from 'openapi-types';
import { anyString, asText, valueOf, type Schema } from './fuzz-values.js';

export interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
  /** The documented operation it targets, for checking the answer; absent for a wrong method or path. */
  operationId?: string;
  /** The methods the documented path takes, when the request is for one. */
  pathMethods: string[];
}

const METHODS = ['GET', 'HEAD', 'PUT', 'POST', 'DELETE', 'PATCH', 'OPTIONS'];
const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'text/plain',
  'application/x-www-form-urlencoded',
  'garbage',
  '',
];

/** Percent-encodes all but RFC 3986's unreserved characters, and '/' when `slashes` is false. */
function encode(text: string, slashes: boolean): string {
  const encoded = [...Buffer.from(text, 'utf8')]
    .map((byte) =>
      /[A-Za-z0-9\-._~]/.test(String.fromCharCode(byte)) ? String.fromCharCode(byte) : `%${byte.toString(16).padStart(2, '0')}`,
    )
    .join('');
  return slashes ? encoded.replaceAll('%2f', '/') : encoded;
}

/** A path or query value as it goes on the wire: encoded, encoded but keeping slashes, or raw when sendable. */
function onTheWire(text: string): fc.Arbitrary<string> {
  const raw = /^[\x21-\x7e]*$/.test(text) && !text.includes('#') && !text.includes('?') ? [fc.constant(text)] : [];
  return fc.oneof(fc.constant(encode(text, false)), fc.constant(encode(text, true)), ...raw);
}

/** Header values undici can send: no control characters, Latin-1 at most. */
function sendableHeader(text: string): string {
  return [...text].filter((char) => /^[\x20-\x7e\x80-\xff]$/.test(char)).join('');
}

function parameterValue(parameter: OpenAPIV3.ParameterObject): fc.Arbitrary<string> {
  return valueOf((parameter.schema ?? {}) as Schema).map(asText);
}

function queryString(parameters: OpenAPIV3.ParameterObject[]): fc.Arbitrary<string> {
  const pairs = parameters.map((parameter) =>
    fc.option(
      parameterValue(parameter).chain((value) => onTheWire(value).map((wire) => `${parameter.name}=${wire}`)),
      { freq: 2 },
    ),
  );
  const mistakes = fc.constantFrom('', '', '', '&limitt=1', '&prefix=a&prefix=b', '&%zz=1', '&=', '&&');
  return fc.tuple(fc.tuple(...pairs), mistakes).map(([given, mistake]) => {
    const text = [...given.filter((pair): pair is string => pair !== null), mistake.slice(1)].filter((part) => part !== '').join('&');
    return text === '' ? '' : `?${text}`;
  });
}

function headersOf(parameters: OpenAPIV3.ParameterObject[]): fc.Arbitrary<Record<string, string>> {
  const values = parameters.map((parameter) => fc.option(parameterValue(parameter).map(sendableHeader), { freq: 2 }));
  return fc
    .tuple(...values)
    .map((given) => Object.fromEntries(parameters.flatMap((parameter, i) => (given[i] === null ? [] : [[parameter.name, given[i]!]]))));
}

function bodyOf(operation: OpenAPIV3.OperationObject): fc.Arbitrary<{ body?: Buffer; contentType?: string }> {
  const content = (operation.requestBody as OpenAPIV3.RequestBodyObject | undefined)?.content ?? {};
  const json = content['application/json']?.schema as Schema | undefined;
  const typed = fc.option(fc.constantFrom(...CONTENT_TYPES), { freq: 4 });
  if (json !== undefined) {
    const text = fc.oneof(
      { weight: 6, arbitrary: valueOf(json).map((value) => JSON.stringify(value) ?? '') },
      { weight: 1, arbitrary: fc.constantFrom('{', '', '[]', 'null', '{"compare": 1}') },
    );
    const contentType = fc.oneof({ weight: 6, arbitrary: fc.constant('application/json') }, { weight: 1, arbitrary: typed });
    return fc.record({ body: text.map((t) => Buffer.from(t)), contentType }).map(({ body, contentType: type }) => ({
      body,
      ...(type === null ? {} : { contentType: type }),
    }));
  }
  const bytes = fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ minLength: 1000, maxLength: 1100 }));
  const hasBody = '*/*' in content ? 4 : 1;
  return fc.record({ body: fc.option(bytes, { freq: hasBody }), contentType: typed }).map(({ body, contentType }) => ({
    ...(body === null ? {} : { body: Buffer.from(body) }),
    ...(contentType === null ? {} : { contentType }),
  }));
}

function pathOf(template: string, parameters: OpenAPIV3.ParameterObject[]): fc.Arbitrary<string> {
  const values = parameters.map((parameter) => parameterValue(parameter).chain((value) => onTheWire(value)));
  return fc
    .tuple(...values)
    .map((wire) => parameters.reduce((path, parameter, i) => path.replace(`{${parameter.name}}`, wire[i]!), template));
}

function operationRequest(template: string, method: string, operation: OpenAPIV3.OperationObject, pathMethods: string[]) {
  const parameters = (operation.parameters ?? []) as OpenAPIV3.ParameterObject[];
  const byPlace = (place: string) => parameters.filter((parameter) => parameter.in === place);
  return fc
    .record({
      path: pathOf(template, byPlace('path')),
      query: queryString(byPlace('query')),
      headers: headersOf(byPlace('header')),
      body: bodyOf(operation),
    })
    .map(({ path, query, headers, body }): FuzzRequest => ({
      method: method.toUpperCase(),
      path: `${path}${query}`,
      headers: { ...headers, ...(body.contentType === undefined ? {} : { 'content-type': sendableHeader(body.contentType) }) },
      ...(body.body === undefined || method === 'get' || method === 'head' ? {} : { body: body.body }),
      operationId: operation.operationId!,
      pathMethods,
    }));
}

/** Requests for every operation of `doc`, for methods its paths do not take, and for paths it does not have. */
export function requestsOf(doc: OpenAPIV3.Document): fc.Arbitrary<FuzzRequest> {
  const operations: fc.Arbitrary<FuzzRequest>[] = [];
  const wrongMethods: fc.Arbitrary<FuzzRequest>[] = [];
  for (const [template, item] of Object.entries(doc.paths)) {
    const entries = Object.entries(item!).filter(([method]) => METHODS.includes(method.toUpperCase())) as [
      string,
      OpenAPIV3.OperationObject,
    ][];
    const pathMethods = entries.map(([method]) => method.toUpperCase());
    for (const [method, operation] of entries) operations.push(operationRequest(template, method, operation, pathMethods));
    const others = METHODS.filter((method) => !pathMethods.includes(method));
    const path = template.replace(/\{[^}]+\}/g, '1');
    wrongMethods.push(fc.constantFrom(...others).map((method) => ({ method, path, headers: {}, pathMethods })));
  }
  const unknownPaths = anyString.map((text): FuzzRequest => ({
    method: 'GET',
    path: `/v1/nowhere/${encode(text, true)}`,
    headers: {},
    pathMethods: [],
  }));
  return fc.oneof(
    { weight: 20, arbitrary: fc.oneof(...operations) },
    { weight: 2, arbitrary: fc.oneof(...wrongMethods) },
    { weight: 1, arbitrary: unknownPaths },
  );
}
