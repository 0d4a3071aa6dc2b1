// Small HTTP helpers for the runner's own control requests (status, metrics, seeding), each with a
// deadline so a stuck server fails the run instead of hanging it.
import { request } from 'undici';
import type { HttpRequest } from './targets/target.js';

const controlTimeoutMs = 5_000;

interface Answer {
  status: number;
  text: string;
}

async function exchange(
  url: string,
  method: HttpRequest['method'],
  headers: Record<string, string>,
  body?: Buffer | string,
): Promise<Answer> {
  const response = await request(url, {
    method,
    headers,
    body: body ?? null,
    headersTimeout: controlTimeoutMs,
    bodyTimeout: controlTimeoutMs,
  });
  return { status: response.statusCode, text: await response.body.text() };
}

export function send(origin: string, http: HttpRequest): Promise<Answer> {
  return exchange(`${origin}${http.path}`, http.method, http.headers, http.body);
}

async function okText(url: string, method: HttpRequest['method'], body?: string): Promise<string> {
  const { status, text } = await exchange(url, method, body === undefined ? {} : { 'content-type': 'application/json' }, body);
  if (status !== 200) throw new Error(`${method} ${url} answered ${status}: ${text.slice(0, 200)}`);
  return text;
}

export function getText(url: string): Promise<string> {
  return okText(url, 'GET');
}

export async function postJson(url: string, body: unknown): Promise<unknown> {
  return JSON.parse(await okText(url, 'POST', JSON.stringify(body)));
}
