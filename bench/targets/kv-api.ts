// The HTTP shape mrtom-kv serves (docs/api.md) and the baseline copies: the value is the raw body.
import type { ReadConsistency, TargetApi } from './target.js';

export function kvApi(consistencyParameter: (consistency: ReadConsistency) => string): TargetApi {
  return {
    writer: (value) => (key) => ({
      method: 'PUT',
      path: `/v1/kv/${key}`,
      headers: { 'content-type': 'application/octet-stream' },
      body: value,
    }),
    read: (key, consistency) => ({ method: 'GET', path: `/v1/kv/${key}${consistencyParameter(consistency)}`, headers: {} }),
  };
}
