// Turns a validated POST /v1/txn body into the store's Txn, checking what a JSON schema cannot say:
// a compare's value must fit its target, keys and prefixes follow keys.ts, base64 is canonical. Each
// error names its field.
import type { Static } from '@fastify/type-provider-typebox';
import type { Compare, CompareOperator, CompareTarget, Txn, TxnOp, TxnOpResult } from '../store/ops.js';
import { ApiError } from './errors.js';
import { checkKey, checkPrefix } from './keys.js';
import { checkContentType } from './content-type.js';
import { nextKey, toItem } from './results.js';
import { LIST_LIMIT_DEFAULT, type txnRequestSchema, type TxnBody } from './schemas.js';

type TxnRequest = Required<Static<ReturnType<typeof txnRequestSchema>>>;
type TxnRequestOp = TxnRequest['success'][number];

function invalid(field: string, problem: string): ApiError {
  return new ApiError(400, 'bad_request', `body/${field} ${problem}`);
}

/** The schema's pattern fixes the alphabet, length and padding; only a round trip also refuses stray bits
 *  in the last character (`QR==` for `QQ==`), which a lenient decoder would silently drop. */
function bytesOf(field: string, base64: string): Buffer {
  const bytes = Buffer.from(base64, 'base64');
  if (bytes.toString('base64') !== base64) throw invalid(field, 'is not canonical base64 (RFC 4648 §4, padded, unused bits zero)');
  return bytes;
}

function toCompare(compare: TxnRequest['compare'][number], field: string): Compare {
  const target = compare.target as CompareTarget;
  const key = checkKey(`body/${field}/key`, compare.key);
  const base = { key, target, op: compare.op as CompareOperator };
  if (target === 'value') {
    if (typeof compare.value !== 'string') throw invalid(`${field}/value`, 'must be base64 bytes when target is value');
    return { ...base, value: bytesOf(`${field}/value`, compare.value) };
  }
  if (target === 'exists') {
    if (typeof compare.value !== 'boolean') throw invalid(`${field}/value`, 'must be a boolean when target is exists');
    return { ...base, value: compare.value };
  }
  if (typeof compare.value !== 'number') throw invalid(`${field}/value`, `must be an integer when target is ${target}`);
  return { ...base, value: compare.value };
}

function toOp(op: TxnRequestOp, field: string): TxnOp {
  if ('put' in op) {
    const { key, value, contentType } = op.put;
    const put = { type: 'put' as const, key: checkKey(`body/${field}/put/key`, key), value: bytesOf(`${field}/put/value`, value) };
    return contentType === undefined ? put : { ...put, contentType: checkContentType(`body/${field}/put/contentType`, contentType) };
  }
  if ('get' in op) return { type: 'get', key: checkKey(`body/${field}/get/key`, op.get.key) };
  if ('delete' in op) return { type: 'delete', key: checkKey(`body/${field}/delete/key`, op.delete.key) };
  const { prefix, after, limit = LIST_LIMIT_DEFAULT } = op.range;
  const query = { prefix: checkPrefix(`body/${field}/range/prefix`, prefix), limit };
  return { type: 'range', query: after === undefined ? query : { ...query, after: checkPrefix(`body/${field}/range/after`, after) } };
}

export function toTxn(body: TxnRequest): Txn {
  return {
    compare: body.compare.map((compare, i) => toCompare(compare, `compare/${i}`)),
    success: body.success.map((op, i) => toOp(op, `success/${i}`)),
    failure: body.failure.map((op, i) => toOp(op, `failure/${i}`)),
  };
}

function toTxnResult(result: TxnOpResult, op: TxnOp): Static<typeof TxnBody>['results'][number] {
  switch (result.type) {
    case 'put':
      return { put: { modRevision: result.modRevision } };
    case 'get':
      return { get: { item: result.record === null || op.type !== 'get' ? null : toItem({ key: op.key, record: result.record }) } };
    case 'delete':
      return { delete: { deleted: result.deleted } };
    case 'range':
      return { range: { items: result.entries.map((entry) => toItem(entry)), next: nextKey(result.entries, result.more) } };
  }
}

/** The results of the branch that ran, each beside the op it answers. */
export function toTxnResults(txn: Txn, succeeded: boolean, results: readonly TxnOpResult[]): Static<typeof TxnBody>['results'] {
  const ops = succeeded ? txn.success : txn.failure;
  return results.map((result, i) => toTxnResult(result, ops[i]!));
}
