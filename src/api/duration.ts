// Lease TTLs as people write them: `30s`, `1500ms`, `5m`, `2h` (a bare number is seconds), within bounds
// that keep expiry meaningful: shorter than a second is below what a leader change can honour.
import { ApiError } from './errors.js';

export const LEASE_TTL_MS_MIN = 1_000;
export const LEASE_TTL_MS_MAX = 24 * 60 * 60 * 1_000;

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

export function ttlMsOf(field: string, text: string): number {
  const match = /^(\d{1,9})(ms|s|m|h)?$/.exec(text);
  if (match === null) throw new ApiError(400, 'bad_request', `${field} must be a duration such as 30s, 1500ms, 5m or 2h`);
  const ms = Number(match[1]) * UNIT_MS[match[2] ?? 's']!;
  if (ms < LEASE_TTL_MS_MIN || ms > LEASE_TTL_MS_MAX) {
    throw new ApiError(400, 'bad_request', `${field} must be between ${LEASE_TTL_MS_MIN / 1000}s and ${LEASE_TTL_MS_MAX / 3_600_000}h`);
  }
  return ms;
}
