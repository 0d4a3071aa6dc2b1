// Turns a validated POST /v1/txn body into the store's Txn, checking what a JSON schema cannot say:
// a compare's value must fit its target, keys must fit KEY_BYTES_MAX. Each error names its field.
import type { Static } from '@fastify/type-provider-typebox';
import type { Compare, CompareOperator, CompareTarget, Txn, TxnOp, TxnOpResult } from '../store/ops.js';
import { ApiError } from './errors.js';
import { checkKeyField } from './keys.js';
import { nextKey, toItem } from './results.js';
import { LIST_LIMIT_DEFAULT, type txnRequestSchema, type TxnBody } from './schemas.js';

type TxnRequest = Required<Static<ReturnType<typeof txnRequestSchema>>>;
type TxnRequestOp = TxnRequest['success'][number];

function invalid(field: string, problem: string): ApiError {
  return new ApiError(400, 'bad_request', `body/${field} ${problem}`);
}

function toCompare(compare: TxnRequest['compare'][number], field: string): Compare {
  const target = compare.target as CompareTarget;
  const key = checkKeyField(`${field}/key`, compare.key);
  const base = { key, target, op: compare.op as CompareOperator };
  if (target === 'value') {
    if (typeof compare.value !== 'string') throw invalid(`${field}/value`, 'must be base64 bytes when target is value');
    return { ...base, value: Buffer.from(compare.value, 'base64') };
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
    const put = { type: 'put' as const, key: checkKeyField(`${field}/put/key`, key), value: Buffer.from(value, 'base64') };
    return contentType === undefined ? put : { ...put, contentType };
  }
  if ('get' in op) return { type: 'get', key: checkKeyField(`${field}/get/key`, op.get.key) };
  if ('delete' in op) return { type: 'delete', key: checkKeyField(`${field}/delete/key`, op.delete.key) };
  const { prefix, after, limit = LIST_LIMIT_DEFAULT } = op.range;
  const query = { prefix: checkKeyField(`${field}/range/prefix`, prefix), limit };
  return { type: 'range', query: after === undefined ? query : { ...query, after: checkKeyField(`${field}/range/after`, after) } };
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
