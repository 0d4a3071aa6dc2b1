// Tiny HTTP helpers for integration tests (undici, real sockets).
import { request } from 'undici';

export interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export async function http(
  method: 'GET' | 'PUT' | 'DELETE' | 'POST',
  url: string,
  body?: Uint8Array | string,
  headers: Record<string, string> = {},
): Promise<HttpResult> {
  const res = await request(url, { method, body, headers, headersTimeout: 15_000, bodyTimeout: 15_000 });
  return { status: res.statusCode, headers: res.headers, body: Buffer.from(await res.body.arrayBuffer()) };
}

export const kvUrl = (base: string, key: string): string => `${base}/v1/kv/${key.split('/').map(encodeURIComponent).join('/')}`;

export async function put(base: string, key: string, value: Uint8Array | string): Promise<HttpResult> {
  return http('PUT', kvUrl(base, key), value, { 'content-type': 'application/octet-stream' });
}

export async function get(base: string, key: string): Promise<HttpResult> {
  return http('GET', kvUrl(base, key));
}
