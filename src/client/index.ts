// The mrtom-kv SDK: `import { Client } from 'mrtom-kv'`. See docs/client.md.
export { Client } from './client.js';
export type { Consistency, DeleteOptions, GetOptions, ListOptions, ListPage, PutOptions } from './client.js';
export type { ClientOptions, RetryOptions, TlsOptions } from './options.js';
export { KeyValue } from './key-value.js';
export type { KeyMeta, KeyValueJSON, Value } from './key-value.js';
export {
  CompactedError,
  ForbiddenError,
  InvalidRequestError,
  MrtomError,
  NotFoundError,
  PreconditionFailedError,
  ServerError,
  TimeoutError,
  UnauthorizedError,
  UnavailableError,
} from './errors.js';
export type { AccessLevel, IssuedToken, TokenInfo, TokenRule, Tokens } from './tokens.js';
export { Txn, op } from './txn.js';
export type { CompareOp, NumericTarget, TxnOpResult, TxnRequest, TxnResult } from './txn.js';
export { Watch } from './watch.js';
export type { WatchEvent, WatchFrame, WatchOptions } from './watch.js';
export type {
  KeepAlive,
  KeepAliveOptions,
  Lease,
  LeaseGetOptions,
  LeaseInfo,
  LeaseListOptions,
  LeasePage,
  Leases,
  LeaseSummary,
} from './leases.js';
export type { NodeStatus, PeerStatus, ReplicaReport } from './cluster-status.js';
export { IDEMPOTENCY_KEY_HEADER } from './write-request.js';
export type { WriteOptions } from './write-request.js';
