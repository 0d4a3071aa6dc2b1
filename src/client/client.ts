// The mrtom-kv client: every call of docs/api.md over undici keep-alive pools, with failover across the
// replicas and exactly-once retries of writes (transport.ts, write-request.ts).
//   const kv = new Client({ endpoints: ['http://127.0.0.1:7001', 'http://127.0.0.1:7002'] });
//   const { revision } = await kv.put('app/config', '{"x":1}', { contentType: 'application/json' });
//   const current = await kv.get('app/config');   // KeyValue | undefined;  current?.json()
import { clusterStatus, type NodeStatus, type ReplicaReport } from './cluster-status.js';
import { NotFoundError } from './errors.js';
import { KeyValue, defaultContentType, toBytes, type Value, type WireItem } from './key-value.js';
import { Leases } from './leases.js';
import { Tokens } from './tokens.js';
import { resolveOptions, type ClientOptions } from './options.js';
import { keyPath, withQuery } from './paths.js';
import { Transport, type HttpRequest } from './transport.js';
import { Txn, decodeTxnBody, type TxnRequest, type TxnResult, type WireTxnBody } from './txn.js';
import { Watch, type WatchOptions } from './watch.js';
import { writeRequest, type WriteOptions } from './write-request.js';

export type Consistency = 'linearizable' | 'stale';

export interface GetOptions {
  /** linearizable (default): reflects every write acknowledged before the call; stale: this replica's state. */
  consistency?: Consistency;
  /** Read the key as it was at this store revision (CompactedError when the history no longer holds it). */
  revision?: number;
  signal?: AbortSignal;
}

export interface PutOptions extends WriteOptions {
  /** Write only if the key's modRevision is this (CAS); otherwise PreconditionFailedError. */
  ifRevision?: number;
  /** Write only if the key is absent (create-only); otherwise PreconditionFailedError. */
  ifAbsent?: boolean;
  /** Attach the key to this lease: it is deleted when the lease ends. */
  lease?: number;
  /** Grant a lease of its own with this TTL (1 s to 24 h) and attach the key to it. */
  ttlMs?: number;
  /** Default: text/plain; charset=utf-8 for a string, application/octet-stream for bytes. */
  contentType?: string;
  /** Answer with the record the put replaced, as `prev` (null: the key was absent). */
  prev?: boolean;
}

export interface DeleteOptions extends WriteOptions {
  ifRevision?: number;
  /** Answer with the record the delete removed, as `prev` (null: the key was absent). */
  prev?: boolean;
}

/** The `prev` of a write answer, as the KeyValue it was; absent unless asked for. */
function prevOf(key: string, prev: Omit<WireItem, 'key'> | null | undefined): { prev?: KeyValue | null } {
  if (prev === undefined) return {};
  return { prev: prev === null ? null : KeyValue.fromWire({ key, ...prev }) };
}

export interface ListOptions {
  /** Keys starting with this; absent or empty: every key. */
  prefix?: string;
  /** Start strictly after this key. */
  after?: string;
  /** Keys per page, at most 1000 (default 100). */
  pageSize?: number;
  /** Items without values. */
  keysOnly?: boolean;
  consistency?: Consistency;
  /** List the keys as they were at this store revision; default: the current one. */
  revision?: number;
  signal?: AbortSignal;
}

export interface ListPage {
  /** Every page of one list() is at the revision of its first (the server's `continue` token carries it). */
  revision: number;
  items: KeyValue[];
  /** The last key when more follow; pass as `after` to continue elsewhere. */
  next: string | null;
}

/** DELETE /v1/kv?prefix= deletes at most 1000 keys per request; this bounds the requests of one call. */
const DELETE_PREFIX_ROUNDS_MAX = 100_000;
/** Pages one list() iterates at most (100 million keys at the largest page). */
const LIST_PAGES_MAX = 100_000;

function preconditionHeaders(options: { ifRevision?: number; ifAbsent?: boolean }): Record<string, string> {
  if (options.ifRevision !== undefined && options.ifAbsent) throw new TypeError('give ifRevision or ifAbsent, not both');
  if (options.ifRevision !== undefined) {
    if (!Number.isSafeInteger(options.ifRevision) || options.ifRevision < 0)
      throw new RangeError('ifRevision must be a revision (an integer ≥ 0)');
    return { 'if-match': `"${options.ifRevision}"` };
  }
  return options.ifAbsent ? { 'if-none-match': '*' } : {};
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

export class Client {
  readonly leases: Leases;
  /** Auth tokens; needs a token with admin on every key. */
  readonly tokens: Tokens;
  private readonly transport: Transport;
  private readonly headers: Record<string, string>;
  private readonly lifetime = new AbortController();

  constructor(options: ClientOptions) {
    const resolved = resolveOptions(options);
    this.transport = new Transport(resolved);
    this.headers = resolved.headers;
    options.signal?.addEventListener('abort', () => this.lifetime.abort(options.signal?.reason), { once: true });
    this.leases = new Leases((request) => this.json(request), this.lifetime.signal);
    this.tokens = new Tokens((request) => this.json(request));
  }

  /** The endpoint requests go to first: the one that answered last. */
  get endpoint(): string {
    return this.transport.endpoints.current;
  }

  /** The key's value and metadata, or undefined when it is absent. */
  async get(key: string, options: GetOptions = {}): Promise<KeyValue | undefined> {
    try {
      const query = { consistency: options.consistency, revision: options.revision };
      const res = await this.transport.send(this.read(withQuery(keyPath(key), query), options.signal));
      const etag = /^"(\d+)"$/.exec(firstHeader(res.headers.etag) ?? '');
      const contentType = firstHeader(res.headers['content-type']);
      return new KeyValue(key, res.body, {
        modRevision: Number(etag?.[1] ?? Number.NaN),
        ...(contentType === undefined ? {} : { contentType }),
      });
    } catch (err) {
      if (err instanceof NotFoundError && err.code === 'key_not_found') return undefined;
      throw err;
    }
  }

  /** `lease`: the lease `ttlMs` granted for the key. */
  async put(key: string, value: Value, options: PutOptions = {}): Promise<{ revision: number; lease?: number; prev?: KeyValue | null }> {
    if (options.lease !== undefined && options.ttlMs !== undefined) throw new TypeError('give lease or ttlMs, not both');
    const query = {
      lease: options.lease,
      ttl: options.ttlMs === undefined ? undefined : `${options.ttlMs}ms`,
      prev: options.prev || undefined,
    };
    const path = withQuery(keyPath(key), query);
    const conditions = preconditionHeaders(options);
    const headers = { ...conditions, 'content-type': options.contentType ?? defaultContentType(value) };
    const body = await this.json<{ revision: number; lease?: number; prev?: Omit<WireItem, 'key'> | null }>(
      writeRequest('PUT', path, options, { headers, body: toBytes(value), conditional: Object.keys(conditions).length > 0 }),
    );
    return { revision: body.revision, ...(body.lease === undefined ? {} : { lease: body.lease }), ...prevOf(key, body.prev) };
  }

  async delete(key: string, options: DeleteOptions = {}): Promise<{ revision: number; deleted: boolean; prev?: KeyValue | null }> {
    const headers = preconditionHeaders(options);
    const path = withQuery(keyPath(key), { prev: options.prev || undefined });
    const body = await this.json<{ revision: number; deleted: 0 | 1; prev?: Omit<WireItem, 'key'> | null }>(
      writeRequest('DELETE', path, options, { headers, conditional: options.ifRevision !== undefined }),
    );
    return { revision: body.revision, deleted: body.deleted === 1, ...prevOf(key, body.prev) };
  }

  /** Deletes every key under `prefix` ('' deletes every key), 1000 per replicated op, until none is left. */
  async deletePrefix(prefix: string, options: WriteOptions = {}): Promise<{ revision: number; deleted: number }> {
    let deleted = 0;
    for (let round = 0; round < DELETE_PREFIX_ROUNDS_MAX; round++) {
      // Each round is its own operation, so each gets its own key (a caller's key is suffixed).
      const key = typeof options.idempotencyKey === 'string' ? `${options.idempotencyKey}.${round}` : options.idempotencyKey;
      const result = await this.json<{ revision: number; deleted: number; more: boolean }>(
        writeRequest('DELETE', withQuery('/v1/kv', { prefix }), { ...options, ...(key === undefined ? {} : { idempotencyKey: key }) }),
      );
      deleted += result.deleted;
      if (!result.more) return { revision: result.revision, deleted };
    }
    throw new RangeError(`deletePrefix: keys still remain after ${DELETE_PREFIX_ROUNDS_MAX} rounds`);
  }

  /** Pages of keys in byte order, all at one revision; each page is fetched when the loop asks for it. */
  async *list(options: ListOptions = {}): AsyncGenerator<ListPage> {
    // The first page starts at `after` and `revision`; each later one is where the page before it says.
    let start: Record<string, string | number | undefined> = { after: options.after, revision: options.revision };
    for (let page = 0; page < LIST_PAGES_MAX; page++) {
      const path = withQuery('/v1/kv', {
        prefix: options.prefix,
        ...start,
        limit: options.pageSize,
        keysOnly: options.keysOnly,
        consistency: options.consistency,
      });
      const body = await this.json<{ revision: number; items: WireItem[]; next: string | null; continue: string | null }>(
        this.read(path, options.signal),
      );
      yield { revision: body.revision, items: body.items.map((item) => KeyValue.fromWire(item)), next: body.next };
      if (body.continue === null) return;
      start = { continue: body.continue };
    }
    throw new RangeError(`list: more than ${LIST_PAGES_MAX} pages`);
  }

  /** Makes the history before `revision` unreadable on every replica; never lowers the compact revision. */
  async compact(revision: number, options: WriteOptions = {}): Promise<{ revision: number; compactRevision: number }> {
    return this.json(writeRequest('POST', withQuery('/v1/compact', { revision }), options));
  }

  /** A transaction builder: compare(...).success(...).failure(...).commit(). */
  txn(): Txn {
    return new Txn((request, signal) => this.commitTxn(request, { ...(signal === undefined ? {} : { signal }) }));
  }

  /** Sends a txn body as docs/api.md describes it (values in base64). */
  async commitTxn(request: TxnRequest, options: WriteOptions = {}): Promise<TxnResult> {
    const body = JSON.stringify(request);
    const headers = { 'content-type': 'application/json' };
    return decodeTxnBody(await this.json<WireTxnBody>(writeRequest('POST', '/v1/txn', options, { headers, body })));
  }

  /** An async iterator of change frames that survives replica failures with no gap and no repeat. */
  watch(options: WatchOptions = {}): Watch {
    return new Watch(this.transport, options, this.lifetime.signal);
  }

  /** The status of whichever replica answers. */
  status(options: { signal?: AbortSignal } = {}): Promise<NodeStatus> {
    return this.json<NodeStatus>(this.read('/v1/status', options.signal));
  }

  /** One row per replica, each asked directly. */
  clusterStatus(options: { signal?: AbortSignal } = {}): Promise<ReplicaReport[]> {
    return clusterStatus(
      this.transport.endpoints.all.map((e) => e.url),
      this.withLifetime(options.signal),
      this.headers,
    );
  }

  /** Ends watches and keepalive loops, aborts calls in flight and closes the connections. */
  async close(): Promise<void> {
    this.lifetime.abort();
    await this.transport.close();
  }

  private read(path: string, signal: AbortSignal | undefined): HttpRequest {
    return { method: 'GET', path, repeatable: 'read', signal: this.withLifetime(signal) };
  }

  private async json<T>(request: HttpRequest): Promise<T> {
    const res = await this.transport.send({ ...request, signal: this.withLifetime(request.signal) });
    return JSON.parse(res.body.toString('utf8')) as T;
  }

  /** A call's signal, aborted also by close() and by the client's own signal. */
  private withLifetime(signal: AbortSignal | undefined): AbortSignal {
    return signal === undefined ? this.lifetime.signal : AbortSignal.any([signal, this.lifetime.signal]);
  }
}
