// Range reads over the kv sublevel: which stored keys a RangeQuery covers, in LevelDB's order (bytes of
// UTF-8, which is not JavaScript's UTF-16 string order for characters past U+FFFF), and how the writes of
// an apply batch not yet on disk change that answer.
import type { KeyEntry, KeyRecord, RangeQuery } from './ops.js';

/** LevelDB's order for utf8 keys. */
export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

export function inRange(query: RangeQuery, key: string): boolean {
  return key.startsWith(query.prefix) && (query.after === undefined || compareKeys(key, query.after) > 0);
}

/** Where a scan of `query` starts: right after `after` when that lies inside the prefix, else at the prefix. */
export function scanStart(query: RangeQuery): { gt: string } | { gte: string } {
  return query.after !== undefined && compareKeys(query.after, query.prefix) >= 0 ? { gt: query.after } : { gte: query.prefix };
}

/** The same query, identified by value, so a batch's prefetched answers can be found again. */
export function rangeId(query: RangeQuery): string {
  return JSON.stringify([query.prefix, query.after ?? null, query.limit]);
}

export interface RangeAnswer {
  entries: KeyEntry[];
  more: boolean;
}

/**
 * The answer to `query` given `stored`, the first stored entries of the range in key order, and `overlay`,
 * writes not yet on disk (null: deleted). `stored` must hold at least query.limit + 1 + (overlay keys in
 * range) entries, or all there are: each overlay delete can hide one stored entry, and one more entry
 * tells whether the range goes on.
 */
export function mergeRange(query: RangeQuery, stored: readonly KeyEntry[], overlay: ReadonlyMap<string, KeyRecord | null>): RangeAnswer {
  const merged = stored.filter((entry) => !overlay.has(entry.key));
  for (const [key, record] of overlay) if (record !== null && inRange(query, key)) merged.push({ key, record });
  merged.sort((a, b) => compareKeys(a.key, b.key));
  return { entries: merged.slice(0, query.limit), more: merged.length > query.limit };
}
