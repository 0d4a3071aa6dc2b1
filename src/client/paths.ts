// Request paths of docs/api.md. A key travels in the path, each '/'-separated segment percent-encoded,
// so '/' stays a separator the server keeps in the key and every other reserved byte is escaped.

export function keyPath(key: string): string {
  if (key.length === 0) throw new TypeError('key must not be empty');
  return `/v1/kv/${key.split('/').map(encodeURIComponent).join('/')}`;
}

/** `path?query`, leaving out parameters that are undefined. */
export function withQuery(path: string, query: Record<string, string | number | boolean | undefined>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value !== undefined) params.set(name, String(value));
  const text = params.toString();
  return text === '' ? path : `${path}?${text}`;
}
