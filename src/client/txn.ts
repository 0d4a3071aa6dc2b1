// A typed builder for POST /v1/txn (docs/api.md): compares, then the success ops, else the failure ops,
// applied atomically at one revision. Its methods are named as the body's fields; none is called `then`,
// which would make the builder a thenable that `await` would try to resolve.
//   await client.txn().compare('app/a', 'version', '==', 1).success(op.put('app/a', 'v2')).failure(op.get('app/a')).commit()
import { KeyValue, toBytes, type Value, type WireItem } from './key-value.js';

export type CompareOp = '==' | '!=' | '<' | '>';
export type NumericTarget = 'modRevision' | 'createRevision' | 'version';

export interface WireCompare {
  key: string;
  target: 'value' | NumericTarget | 'exists';
  op: CompareOp;
  value: string | number | boolean;
}

export type WireTxnOp =
  | { put: { key: string; value: string; contentType?: string } }
  | { get: { key: string } }
  | { delete: { key: string } }
  | { range: { prefix: string; after?: string; limit?: number } };

/** The JSON body of POST /v1/txn; `mrtom-kv txn` sends a file of this shape as it is. */
export interface TxnRequest {
  compare?: WireCompare[];
  success?: WireTxnOp[];
  failure?: WireTxnOp[];
}

export type WireTxnOpResult =
  | { put: { modRevision: number } }
  | { get: { item: WireItem | null } }
  | { delete: { deleted: 0 | 1 } }
  | { range: { items: WireItem[]; next: string | null } };

export interface WireTxnBody {
  revision: number;
  succeeded: boolean;
  results: WireTxnOpResult[];
}

export type TxnOpResult =
  | { put: { modRevision: number } }
  | { get: { item: KeyValue | null } }
  | { delete: { deleted: boolean } }
  | { range: { items: KeyValue[]; next: string | null } };

export interface TxnResult {
  revision: number;
  /** True: every compare held and the success ops ran; false: the failure ops ran. */
  succeeded: boolean;
  /** One per op of the branch that ran, in order. */
  results: TxnOpResult[];
}

/** Ops for success() and failure(). */
export const op = {
  put(key: string, value: Value, options: { contentType?: string } = {}): WireTxnOp {
    const put = { key, value: Buffer.from(toBytes(value)).toString('base64') };
    return { put: options.contentType === undefined ? put : { ...put, contentType: options.contentType } };
  },
  get(key: string): WireTxnOp {
    return { get: { key } };
  },
  delete(key: string): WireTxnOp {
    return { delete: { key } };
  },
  range(prefix: string, options: { after?: string; limit?: number } = {}): WireTxnOp {
    return { range: { prefix, ...options } };
  },
};

export class Txn {
  private readonly request: Required<TxnRequest> = { compare: [], success: [], failure: [] };

  constructor(private readonly send: (request: TxnRequest, signal?: AbortSignal) => Promise<TxnResult>) {}

  /** Compare a key's value (bytes, or UTF-8 of a string); an absent key's value compares false. */
  compare(key: string, target: 'value', compareOp: CompareOp, value: Value): this;
  /** Compare a revision or the version; an absent key has 0. */
  compare(key: string, target: NumericTarget, compareOp: CompareOp, value: number): this;
  /** Whether the key exists. */
  compare(key: string, target: 'exists', compareOp: '==' | '!=', value: boolean): this;
  compare(key: string, target: WireCompare['target'], compareOp: CompareOp, value: Value | number | boolean): this {
    const wire = typeof value === 'string' || value instanceof Uint8Array ? Buffer.from(toBytes(value)).toString('base64') : value;
    this.request.compare.push({ key, target, op: compareOp, value: wire });
    return this;
  }

  success(...ops: WireTxnOp[]): this {
    this.request.success.push(...ops);
    return this;
  }

  failure(...ops: WireTxnOp[]): this {
    this.request.failure.push(...ops);
    return this;
  }

  toJSON(): TxnRequest {
    return structuredClone(this.request);
  }

  commit(options: { signal?: AbortSignal } = {}): Promise<TxnResult> {
    return this.send(this.toJSON(), options.signal);
  }
}

function decodeResult(result: WireTxnOpResult): TxnOpResult {
  if ('get' in result) return { get: { item: result.get.item === null ? null : KeyValue.fromWire(result.get.item) } };
  if ('range' in result) return { range: { items: result.range.items.map((item) => KeyValue.fromWire(item)), next: result.range.next } };
  if ('delete' in result) return { delete: { deleted: result.delete.deleted === 1 } };
  return result;
}

export function decodeTxnBody(body: WireTxnBody): TxnResult {
  return { revision: body.revision, succeeded: body.succeeded, results: body.results.map(decodeResult) };
}
