// A KvService over a Map for API tests: it keeps revisions the way the store does (one per mutation,
// modRevision/createRevision/version per key) so the HTTP layer is checked against honest results.
import { Writable } from 'node:stream';
import pino from 'pino';
import type { KvService, NodeHealth } from '../../../src/api/service.js';
import { buildApiServer } from '../../../src/api/server.js';
import type { KeyRecord, KvOp, OpResult } from '../../../src/store/ops.js';
import { Registry } from 'prom-client';

export class MapKvService implements KvService {
  revision = 0;
  readonly records = new Map<string, KeyRecord>();
  readonly submitted: KvOp[] = [];
  nodeHealth: NodeHealth = { ready: true, checks: [{ name: 'quorum', ok: true, detail: '' }] };
  valueBytesMaxResult = 1400;

  async submit(op: KvOp): Promise<OpResult> {
    this.submitted.push(op);
    switch (op.type) {
      case 'get':
        return { type: 'get', revision: this.revision, record: this.records.get(op.key) ?? null };
      case 'put': {
        this.revision += 1;
        const previous = this.records.get(op.key);
        const record: KeyRecord = {
          // Copied, as the real store serializes it: a later change to the request buffer must not leak in.
          value: Uint8Array.from(op.value),
          createRevision: previous?.createRevision ?? this.revision,
          modRevision: this.revision,
          version: (previous?.version ?? 0) + 1,
        };
        if (op.contentType !== undefined) record.contentType = op.contentType;
        this.records.set(op.key, record);
        return { type: 'put', revision: this.revision, modRevision: this.revision };
      }
      case 'delete': {
        // Like etcd, deleting a missing key is not a mutation and leaves the revision alone.
        if (!this.records.delete(op.key)) return { type: 'delete', revision: this.revision, deleted: 0 };
        this.revision += 1;
        return { type: 'delete', revision: this.revision, deleted: 1 };
      }
    }
  }

  health(): NodeHealth {
    return this.nodeHealth;
  }

  valueBytesMax(): number {
    return this.valueBytesMaxResult;
  }
}

/** A server over a fresh MapKvService, with its log lines collected as parsed JSON. */
export function buildTestServer(options: { valueBytesLimit?: number } = {}) {
  const service = new MapKvService();
  const logs: { level: number; msg: string; err?: { message: string } }[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(JSON.parse(chunk.toString('utf8')));
      done();
    },
  });
  const app = buildApiServer({ service, logger: pino({ level: 'info' }, sink), metrics: new Registry(), ...options });
  return { app, service, logs };
}
