// Proves --value-bytes-max is checked against the cluster's datagrams: the default 1 MiB passes with the
// dev cluster's datagrams, and with the smallest datagram the largest limit accepted is one the real
// submitter can still split (at most PIECES_PER_PUT_MAX pieces), one byte more is refused at start.
import { describe, expect, it } from 'vitest';
import { checkValueBytesMax, VALUE_BYTES_MAX_DEFAULT } from '../../../src/api/value-limit.js';
import { ConfigError } from '../../../src/config/cluster.js';
import { PIECES_PER_PUT_MAX } from '../../../src/store/ops.js';
import { harness, put } from '../runtime/submitter-harness.js';

/** The largest limit accepted for `datagramBytesMax`, found by the check itself. */
function largestAccepted(datagramBytesMax: number): number {
  let low = 1;
  let high = VALUE_BYTES_MAX_DEFAULT * 64;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    try {
      checkValueBytesMax(mid, datagramBytesMax);
      low = mid;
    } catch {
      high = mid - 1;
    }
  }
  return low;
}

describe('checkValueBytesMax', () => {
  it('accepts the default limit with the dev cluster datagrams', () => {
    expect(() => checkValueBytesMax(VALUE_BYTES_MAX_DEFAULT, 65_000)).not.toThrow();
  });

  it.each([512, 1400])(
    'with %i-byte datagrams accepts only a limit the submitter splits in at most the piece limit',
    async (datagramBytesMax) => {
      const largest = largestAccepted(datagramBytesMax);
      expect(() => checkValueBytesMax(largest + 1, datagramBytesMax)).toThrow(ConfigError);
      expect(() => checkValueBytesMax(largest + 1, datagramBytesMax)).toThrow(/--value-bytes-max \d+ needs more than 1024 pieces/);
      const h = harness({ datagramBytesMax });
      void h.submitter.submit(put('k', largest));
      expect(h.sent).toHaveLength(1);
      expect(h.opsSent(0)[0]!.op.type).toBe('piece');
      // Drive it to the end: the put is sent as piece number at most PIECES_PER_PUT_MAX.
      let sent = 0;
      while (sent < h.sent.length) {
        const { requestId, op: next } = h.opsSent(sent)[0]!;
        sent += 1;
        h.submitter.onApplied(
          h.appliedWith(
            requestId,
            next.type === 'piece' ? { type: 'piece_held', revision: 0 } : { type: 'put', revision: 1, modRevision: 1 },
          ),
        );
      }
      expect(sent).toBeLessThanOrEqual(PIECES_PER_PUT_MAX);
    },
  );
});
