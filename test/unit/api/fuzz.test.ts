// A seeded, bounded fuzz of the whole API, driven by /openapi.json: requests for every operation with
// parameters, headers and bodies drawn from their schemas and past them (fuzz-requests.ts), for wrong
// methods and unknown paths, sent over real HTTP to a listening server over a real store. Every answer
// must be below 500, of a status the document lists for the operation, and every error must be exactly
// {"error": {"code", "message"}} with a code the document lists for that status. Afterwards every stored
// key must still be readable. A failure shrinks to a smallest failing request and prints its seed.
//
//   npm run fuzz                                    a long run (MRTOM_FUZZ_REQUESTS, default there 30000)
//   MRTOM_FUZZ_SEED=7 npx vitest run test/unit/api/fuzz.test.ts   replays one seed
import fc from 'fast-check';
import type { OpenAPIV3 } from 'openapi-types';
import { Client } from 'undici';
import { expect, it } from 'vitest';
import { buildTestServer } from './store-service.js';
import { requestsOf, type FuzzRequest } from './fuzz-requests.js';

const FUZZ_SEED = Number(process.env.MRTOM_FUZZ_SEED ?? 20_261_201);
const FUZZ_REQUESTS = Number(process.env.MRTOM_FUZZ_REQUESTS ?? 3_000);
/** Small limits, so that the fuzz reaches them: bodies over 1 KiB are 413, txns of more than 4 ops too. */
const SERVER_LIMITS = { valueBytesLimit: 1_024, txnOpsMax: 4 };
/** Keys read back afterwards, at most: the fuzz writes far fewer. */
const KEYS_CHECKED_MAX = 100_000;
/** An answer that takes longer than this is a server that stopped answering: a failure, not a wait. */
const ANSWER_TIMEOUT_MS = 10_000;
/** The run's bound: generous per request, so a slow shared machine does not fail it, yet finite. */
const RUN_TIMEOUT_MS = 60_000 + FUZZ_REQUESTS * 20;

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

async function send(client: Client, request: FuzzRequest): Promise<Answer> {
  const res = await client.request({ method: request.method, path: request.path, headers: request.headers, body: request.body ?? null });
  const type = String(res.headers['content-type'] ?? '');
  // A watch that opened streams for ever; its headers are the answer.
  if (res.statusCode === 200 && /ndjson|event-stream/.test(type)) {
    res.body.destroy();
    return { status: res.statusCode, headers: res.headers, body: '' };
  }
  return { status: res.statusCode, headers: res.headers, body: await res.body.text() };
}

/** The error codes a documented response lists (a union lists its branches' codes). */
function documentedCodes(response: OpenAPIV3.ResponseObject | undefined): string[] {
  const codes: string[] = [];
  const visit = (schema: unknown): void => {
    if (typeof schema !== 'object' || schema === null) return;
    const node = schema as Record<string, unknown>;
    const code = (node.properties as Record<string, { enum?: string[] }> | undefined)?.code;
    codes.push(...(code?.enum ?? []));
    for (const branch of [...((node.anyOf as unknown[]) ?? []), ...Object.values((node.properties as object) ?? {})]) visit(branch);
  };
  visit(response?.content?.['application/json']?.schema);
  return codes;
}

function checkError(request: FuzzRequest, answer: Answer, codes: readonly string[]): void {
  expect(String(answer.headers['content-type'])).toMatch(/^application\/json/);
  if (request.method === 'HEAD') return;
  const body = JSON.parse(answer.body);
  expect(Object.keys(body)).toEqual(['error']);
  expect(body.error).toEqual(expect.objectContaining({ code: expect.any(String), message: expect.any(String) }));
  expect(codes).toContain(body.error.code);
}

/** The documented operations by id. */
function operationsOf(doc: OpenAPIV3.Document): Map<string, OpenAPIV3.OperationObject> {
  const operations = Object.values(doc.paths).flatMap((item) =>
    Object.values(item!).filter((value) => typeof value === 'object' && value !== null && 'operationId' in value),
  );
  return new Map((operations as OpenAPIV3.OperationObject[]).map((operation) => [operation.operationId!, operation]));
}

function checkAnswer(operations: Map<string, OpenAPIV3.OperationObject>, request: FuzzRequest, answer: Answer): void {
  expect(answer.status).toBeLessThan(500);
  if (request.operationId === undefined && request.pathMethods.length > 0) {
    expect(answer.status).toBe(405);
    expect(String(answer.headers.allow).split(', ').sort()).toEqual([...request.pathMethods].sort());
    checkError(request, answer, ['method_not_allowed']);
    return;
  }
  if (request.operationId === undefined) {
    expect(answer.status).toBe(404);
    checkError(request, answer, ['not_found']);
    return;
  }
  const documented = operations.get(request.operationId)!.responses[String(answer.status)] as OpenAPIV3.ResponseObject | undefined;
  expect(documented, `status ${answer.status} is not documented for ${request.operationId}`).toBeDefined();
  if (answer.status >= 400) checkError(request, answer, documentedCodes(documented));
}

it(
  `answers ${FUZZ_REQUESTS} generated requests (seed ${FUZZ_SEED}) below 500, as documented, in one error shape`,
  async () => {
    const { app, service } = await buildTestServer(SERVER_LIMITS);
    service.health = () => ({ ready: true, checks: [{ name: 'fuzz', ok: true, detail: 'health as the fuzz sets it' }] });
    service.status = async () => ({
      id: 1,
      status: 'normal',
      view: 0,
      session: 1,
      sequencerId: 1,
      commitSlot: 0,
      appliedSlot: 0,
      revision: 0,
      peers: [],
    });
    const base = await app.listen({ host: '127.0.0.1', port: 0 });
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json() as OpenAPIV3.Document;
    const operations = operationsOf(doc);
    const client = new Client(base, { headersTimeout: ANSWER_TIMEOUT_MS, bodyTimeout: ANSWER_TIMEOUT_MS });
    const statuses = new Map<number, number>();
    const started = Date.now();
    try {
      await fc.assert(
        fc.asyncProperty(requestsOf(doc), async (request) => {
          const answer = await send(client, request);
          statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
          checkAnswer(operations, request, answer);
        }),
        { seed: FUZZ_SEED, numRuns: FUZZ_REQUESTS, endOnFailure: false },
      );
      // Whatever was written can be read back, by its key as the listing spells it.
      let after: string | null = '';
      for (let page = 0; after !== null && page < KEYS_CHECKED_MAX / 1_000; page++) {
        const list = await app.inject({ method: 'GET', url: `/v1/kv?limit=1000&after=${encodeURIComponent(after)}` });
        const { items, next } = list.json() as { items: { key: string }[]; next: string | null };
        for (const { key } of items) {
          const read = await app.inject({ method: 'GET', url: `/v1/kv/${encodeURIComponent(key)}` });
          expect(read.statusCode, key).toBe(200);
        }
        after = next;
      }
    } finally {
      await client.close();
    }
    const seconds = (Date.now() - started) / 1000;
    console.log(
      `fuzz seed ${FUZZ_SEED}: ${FUZZ_REQUESTS} requests in ${seconds.toFixed(1)} s; statuses ${JSON.stringify(Object.fromEntries([...statuses].sort()))}`,
    );
  },
  RUN_TIMEOUT_MS,
);
