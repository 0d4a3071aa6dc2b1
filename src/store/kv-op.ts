// One KV operation against the current state, with etcd's revision rules: the store revision rises by one
// per mutation (every put; a delete only if the key existed), createRevision is the revision of the put
// that created the key since its last delete, modRevision that of the latest put, version counts puts
// since creation.
import type { KeyRecord, KvOp, OpResult } from './ops.js';
import { plainBytes } from './codec.js';

export interface KvOpOutcome {
  result: OpResult;
  revision: number;
  /** The key's new record (null: deleted), or undefined when the op changed nothing. */
  write: KeyRecord | null | undefined;
}

export function applyKvOp(op: KvOp, revision: number, current: KeyRecord | null): KvOpOutcome {
  switch (op.type) {
    case 'put': {
      const next = revision + 1;
      const record: KeyRecord = {
        value: plainBytes(op.value),
        createRevision: current === null ? next : current.createRevision,
        modRevision: next,
        version: current === null ? 1 : current.version + 1,
      };
      if (op.contentType !== undefined) record.contentType = op.contentType;
      return { result: { type: 'put', revision: next, modRevision: next }, revision: next, write: record };
    }
    case 'delete':
      if (current === null) return { result: { type: 'delete', revision, deleted: 0 }, revision, write: undefined };
      return { result: { type: 'delete', revision: revision + 1, deleted: 1 }, revision: revision + 1, write: null };
    case 'get':
      return { result: { type: 'get', revision, record: current }, revision, write: undefined };
  }
}
