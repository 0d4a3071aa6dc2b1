// The largest value a PUT may carry, and the most a txn's put values total (docs/api.md, "Large values"):
// the body limit of PUT /v1/kv/{key}, and what the submitter splits into pieces when it does not fit one
// datagram.
import { ConfigError } from '../config/cluster.js';
import { PIECES_PER_PUT_MAX } from '../store/ops.js';

/** 1 MiB, as etcd's values (its request limit is 1.5 MiB). */
export const VALUE_BYTES_MAX_DEFAULT = 1024 * 1024;
/** What --value-bytes-max may be set to at most: every replica holds up to 64 assemblies of this size,
 *  and a record must fit a snapshot frame (64 MiB, src/runtime/snapshot-transfer.ts) with room to spare. */
export const VALUE_BYTES_MAX_LIMIT = 32 * 1024 * 1024;
/** A piece's datagram holds the header and the piece op's fields besides its bytes; this bounds them. */
const PIECE_OVERHEAD_BYTES_MAX = 256;

/** Refuses a value limit that the cluster's datagrams cannot carry in PIECES_PER_PUT_MAX pieces. */
export function checkValueBytesMax(valueBytesMax: number, datagramBytesMax: number): void {
  const splittable = (PIECES_PER_PUT_MAX - 1) * (datagramBytesMax - PIECE_OVERHEAD_BYTES_MAX);
  if (valueBytesMax > splittable) {
    throw new ConfigError(
      `--value-bytes-max ${valueBytesMax} needs more than ${PIECES_PER_PUT_MAX} pieces with datagramBytesMax ${datagramBytesMax}: at most ${splittable} bytes`,
    );
  }
}
