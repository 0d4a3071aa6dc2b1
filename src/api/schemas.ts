// TypeBox schemas of the API: they validate input, serialize output, and generate /openapi.json — one
// source, three uses (STYLE.md §4). Revisions are JSON integers (exact up to 2^53 - 1, as in the store).
import { Type, type TSchema } from '@fastify/type-provider-typebox';
import { IDEMPOTENCY_KEY_SCHEMA_PATTERN } from '../lib/idempotency-key.js';

/** Every integer the API reads or writes is exact both in JSON and in JavaScript, as every store number is. */
export const INTEGER_MAX = Number.MAX_SAFE_INTEGER;

/** An integer from `minimum` to INTEGER_MAX (or a lower `maximum`): no integer input is unbounded. */
export function integer(minimum: number, options: { maximum?: number; description?: string; default?: number } = {}) {
  return Type.Integer({ minimum, maximum: INTEGER_MAX, ...options });
}

/** Items per page of a prefix listing when `limit` is not given, and the most a page may hold. */
export const LIST_LIMIT_DEFAULT = 100;
export const LIST_LIMIT_MAX = 1_000;

const Revision = integer(0, { description: 'a store revision' });
export const LeaseId = integer(1, { description: 'a lease id: where its grant sits in the log (slot × 1024 + position in its request)' });

/** A value is returned as the exact bytes stored, under the content type it was stored with. */
export const ValueBytes = Type.Unsafe<Buffer>({ type: 'string', format: 'binary', description: 'the value: any bytes' });

/** The key of /v1/kv/{key}, for /openapi.json: the route itself takes it from the raw URL (keys.ts). */
export const KeyParams = Type.Object({
  key: Type.String({ description: "the key, percent-encoded; '/' may be sent as is or as %2F (docs/api.md, Keys)" }),
});

const IF_MATCH = Type.String({
  description: 'write only if the key\'s modRevision is this ETag, e.g. "42" (compare-and-swap); *: only if the key exists',
});

export const KeyReadHeaders = Type.Object({
  'if-none-match': Type.Optional(Type.String({ description: 'ETags the client holds ("41", W/"42") or *: 304 when one is current' })),
});

const IDEMPOTENCY_KEY = Type.String({
  pattern: IDEMPOTENCY_KEY_SCHEMA_PATTERN,
  description:
    'one key per logical write, the same on every retry through any replica: a repeat gets the first answer, another request under the key 422 (docs/api.md)',
});

/** Headers every write takes. */
export const WriteHeaders = Type.Object({ 'idempotency-key': Type.Optional(IDEMPOTENCY_KEY) });

export const KeyWriteHeaders = Type.Object({
  'if-match': Type.Optional(IF_MATCH),
  'if-none-match': Type.Optional(Type.String({ description: '* only: write only if the key is absent (create-only)' })),
  'idempotency-key': Type.Optional(IDEMPOTENCY_KEY),
});

export const KeyDeleteHeaders = Type.Object({ 'if-match': Type.Optional(IF_MATCH), 'idempotency-key': Type.Optional(IDEMPOTENCY_KEY) });

/** A read whose If-None-Match holds the current ETag: no body, the ETag and revision headers only. */
export const NotModified = Type.Null({ description: 'the ETag is one the client holds (If-None-Match)' });

export const Consistency = Type.Union([Type.Literal('linearizable'), Type.Literal('stale')], {
  description: "linearizable (default): after a batched read barrier through the log; stale: this replica's local state as is",
});

/** Query strings are closed: a parameter the route does not know is a 400 naming it, not silently ignored. */
function query<T extends Record<string, TSchema>>(properties: T) {
  return Type.Object(properties, { additionalProperties: false });
}

/** A past revision to read at: from the compact revision (410 compacted below it) to the current one. */
const AtRevision = integer(0, {
  description: 'read the state as it was at this revision (410 compacted when the history no longer holds it)',
});

export const KeyReadQuery = query({ consistency: Type.Optional(Consistency), revision: Type.Optional(AtRevision) });
/** Routes that take no query parameters still refuse unknown ones. */
export const NoQuery = query({});

const Duration = Type.String({ description: 'a duration: 30s, 1500ms, 5m, 2h (1s to 24h)' });

const PrevFlag = Type.Optional(Type.Boolean({ description: 'answer with the record the write replaced, as `prev`' }));

export const KeyPutQuery = query({
  lease: Type.Optional(integer(1, { description: 'attach the key to this lease: it is deleted when the lease ends' })),
  ttl: Type.Optional(Duration),
  prev: PrevFlag,
});

export const KeyDeleteQuery = query({ prev: PrevFlag });

export const LeaseGrantQuery = query({ ttl: Duration });

export const LeaseBody = Type.Object({ lease: LeaseId, ttlMs: integer(1) });

/** Keys GET /v1/leases/{id}?keys=true names at most; `moreKeys` says when the lease has more. */
export const LEASE_KEY_NAMES_MAX = 1_000;

export const LeaseListQuery = query({
  after: Type.Optional(integer(1, { description: "start strictly after this lease id: the previous page's `next`" })),
  limit: Type.Optional(integer(1, { maximum: LIST_LIMIT_MAX, default: LIST_LIMIT_DEFAULT })),
  consistency: Type.Optional(Consistency),
});

export const LeaseReadQuery = query({
  keys: Type.Optional(
    Type.Boolean({ default: false, description: `name the keys attached, in key order, at most ${LEASE_KEY_NAMES_MAX}` }),
  ),
  consistency: Type.Optional(Consistency),
});

const LeaseInfo = {
  lease: LeaseId,
  ttlMs: integer(1, { description: 'the TTL granted (a keepalive restarts it)' }),
  keys: integer(0, { description: 'how many keys are attached' }),
};

export const LeaseListBody = Type.Object({
  revision: Revision,
  leases: Type.Array(Type.Object(LeaseInfo), { description: 'in id order' }),
  next: Type.Union([LeaseId, Type.Null()], { description: 'pass as `after` for the next page; null on the last page' }),
});

export const LeaseReadBody = Type.Object({
  revision: Revision,
  ...LeaseInfo,
  remainingMs: Type.Union([integer(0), Type.Null()], {
    description: "time left on the leader's countdown; null on a follower, which counts no lease down (ask the leader)",
  }),
  keyNames: Type.Optional(
    Type.Array(Type.String(), { maxItems: LEASE_KEY_NAMES_MAX, description: 'with keys=true: the keys attached, in key order' }),
  ),
  moreKeys: Type.Optional(Type.Boolean({ description: `with keys=true: the lease has more keys than the ${LEASE_KEY_NAMES_MAX} named` })),
});

export const LeaseRevokeBody = Type.Object({
  revision: Revision,
  deleted: integer(0),
  more: Type.Boolean({ description: 'keys of the lease remain (over 100000): repeat the DELETE' }),
});

// What a legal key or prefix is, is decided by keys.ts alone; these only describe it.
const Key = Type.String({
  description: "a key: 1 to 4096 bytes of UTF-8, no control characters, no '.' or '..' segment (docs/api.md, Keys)",
});
const Prefix = Type.String({ description: 'a key prefix: at most 4096 bytes of UTF-8, no control characters; empty: every key' });
const ContentType = Type.String({
  description: 'a media type (RFC 9110 §8.3.1) in visible ASCII, at most 256 bytes, e.g. text/plain; charset=utf-8',
});
/** Canonical base64 (RFC 4648 §4): whole quads, padded. */
const Base64 = Type.String({
  pattern: '^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$',
  description: 'bytes, base64-encoded with padding',
});

export const ListQuery = query({
  prefix: Type.Optional(Type.String({ description: 'list keys starting with this; absent or empty: all keys' })),
  after: Type.Optional(Type.String({ description: "start strictly after this key: the previous page's `next`" })),
  limit: Type.Optional(integer(1, { maximum: LIST_LIMIT_MAX, default: LIST_LIMIT_DEFAULT })),
  keysOnly: Type.Optional(Type.Boolean({ default: false })),
  encoding: Type.Optional(
    Type.Union([Type.Literal('base64'), Type.Literal('utf8')], {
      description: 'how values are sent: base64 (default), or utf8 text (a value that is not UTF-8 is left out, with notUtf8)',
    }),
  ),
  consistency: Type.Optional(Consistency),
  revision: Type.Optional(AtRevision),
  continue: Type.Optional(
    Type.String({ description: "the previous page's `continue`: the next page at that page's revision (not with after or revision)" }),
  ),
});

export const Item = Type.Object({
  key: Key,
  value: Type.Optional(Type.String({ description: 'the value in base64; with encoding=utf8, as UTF-8 text' })),
  notUtf8: Type.Optional(
    Type.Literal(true, { description: 'with encoding=utf8: the value is not UTF-8, so it is left out (read the key itself)' }),
  ),
  contentType: Type.Optional(Type.String()),
  createRevision: Revision,
  modRevision: Revision,
  version: integer(1),
  lease: Type.Optional(integer(1, { description: 'the lease the key is attached to' })),
});

/** A key's record before a change, with `?prev=true`; null: the key was absent. */
const Prev = Type.Union(
  [
    Type.Object({
      value: Base64,
      contentType: Type.Optional(Type.String()),
      createRevision: Revision,
      modRevision: Revision,
      version: integer(1),
      lease: Type.Optional(LeaseId),
    }),
    Type.Null(),
  ],
  { description: "the key's record before the change (`?prev=true`); null when the key was absent" },
);

export const PutBody = Type.Object({
  revision: Revision,
  lease: Type.Optional(LeaseId),
  prev: Type.Optional(Prev),
});

export const DeleteBody = Type.Object({
  revision: Revision,
  deleted: Type.Union([Type.Literal(0), Type.Literal(1)]),
  prev: Type.Optional(Prev),
});

export const ListBody = Type.Object({
  revision: Revision,
  items: Type.Array(Item),
  next: Type.Union([Key, Type.Null()], {
    description: 'pass as `after` for the next page at the then current revision; null on the last page',
  }),
  continue: Type.Union([Type.String(), Type.Null()], {
    description: 'pass as `continue` for the next page at this revision; null on the last page',
  }),
});

export const CompactQuery = query({ revision: integer(1, { description: 'make the history before this revision unreadable' }) });

export const CompactBody = Type.Object({
  revision: Revision,
  compactRevision: integer(0, { description: 'the oldest revision still readable, which this request may have left higher' }),
});

export const DeletePrefixQuery = query({ prefix: Type.String({ description: 'delete keys starting with this (empty: every key)' }) });

export const DeletePrefixBody = Type.Object({
  revision: Revision,
  deleted: integer(0),
  more: Type.Boolean({ description: 'keys remain: at most 1000 are deleted per request, repeat until false' }),
});

const Compare = Type.Object(
  {
    key: Key,
    target: Type.Union(['value', 'modRevision', 'createRevision', 'version', 'exists'].map((t) => Type.Literal(t))),
    op: Type.Union(['==', '!=', '<', '>'].map((o) => Type.Literal(o))),
    value: Type.Union([Type.String(), integer(0), Type.Boolean()], {
      description: 'base64 bytes for value, a boolean for exists, an integer otherwise',
    }),
  },
  { additionalProperties: false },
);

const TxnOp = Type.Union([
  Type.Object(
    { put: Type.Object({ key: Key, value: Base64, contentType: Type.Optional(ContentType) }, { additionalProperties: false }) },
    { additionalProperties: false },
  ),
  Type.Object({ get: Type.Object({ key: Key }, { additionalProperties: false }) }, { additionalProperties: false }),
  Type.Object({ delete: Type.Object({ key: Key }, { additionalProperties: false }) }, { additionalProperties: false }),
  Type.Object(
    {
      range: Type.Object(
        {
          prefix: Prefix,
          after: Type.Optional(Prefix),
          limit: Type.Optional(integer(1, { maximum: LIST_LIMIT_MAX })),
        },
        { additionalProperties: false },
      ),
    },
    { additionalProperties: false },
  ),
]);

/** The txn body; each list holds at most `opsMax` items (the server's configured limit). */
export function txnRequestSchema(opsMax: number) {
  return Type.Object(
    {
      compare: Type.Optional(Type.Array(Compare, { maxItems: opsMax })),
      success: Type.Optional(Type.Array(TxnOp, { maxItems: opsMax })),
      failure: Type.Optional(Type.Array(TxnOp, { maxItems: opsMax })),
    },
    { additionalProperties: false },
  );
}

const TxnOpResult = Type.Union([
  Type.Object({ put: Type.Object({ modRevision: Revision }) }),
  Type.Object({ get: Type.Object({ item: Type.Union([Item, Type.Null()]) }) }),
  Type.Object({ delete: Type.Object({ deleted: Type.Union([Type.Literal(0), Type.Literal(1)]) }) }),
  Type.Object({ range: Type.Object({ items: Type.Array(Item), next: Type.Union([Key, Type.Null()]) }) }),
]);

export const TxnBody = Type.Object({
  revision: Revision,
  succeeded: Type.Boolean({ description: 'true: every compare held and the success ops ran; false: the failure ops ran' }),
  results: Type.Array(TxnOpResult, { description: 'one per op of the branch that ran, in order' }),
});

export const StatusBody = Type.Object({
  id: integer(1),
  status: Type.String(),
  view: integer(0),
  session: integer(0),
  sequencerId: integer(0),
  commitSlot: integer(0),
  appliedSlot: integer(0),
  revision: Revision,
  peers: Type.Array(Type.Object({ id: integer(1), url: Type.String(), ready: Type.Boolean(), detail: Type.String() })),
});

/** SSE clients resume with the last id they received, a revision; the stream starts at the next one. */
export const WatchHeaders = Type.Object({
  accept: Type.Optional(Type.String({ description: 'text/event-stream for Server-Sent Events; anything else: NDJSON' })),
  'last-event-id': Type.Optional(
    integer(0, {
      maximum: INTEGER_MAX - 1,
      description: 'the last revision received: the stream resumes after it (SSE reconnects send it)',
    }),
  ),
});

const WatchEvent = Type.Object({
  type: Type.Union([Type.Literal('put'), Type.Literal('delete')]),
  key: Key,
  value: Type.Optional(Base64),
  contentType: Type.Optional(Type.String()),
  createRevision: Type.Optional(Revision),
  modRevision: Revision,
  version: Type.Optional(integer(1)),
  lease: Type.Optional(LeaseId),
  prev: Type.Optional(Prev),
});

/** One frame of a watch stream: the changes of one revision to watched keys; no events: a progress frame. */
export const WatchFrame = Type.Object({ revision: Revision, events: Type.Array(WatchEvent) });

export const WatchQuery = query({
  key: Type.Optional(Type.String({ description: 'watch this one key (not with prefix)' })),
  prefix: Type.Optional(Type.String({ description: 'watch keys starting with this; absent or empty: all keys' })),
  fromRevision: Type.Optional(integer(1, { description: 'first revision to send; default: the next one' })),
  prev: Type.Optional(Type.Boolean({ description: "each event carries the key's record before it, as `prev`" })),
});

/** Kubernetes-style probe text (`?verbose`). */
export const ProbeText = Type.String();

export const LiveBody = Type.Object({ status: Type.Literal('ok') });

export const ReadyBody = Type.Object({ status: Type.Literal('ready') });

export const NotReadyBody = Type.Object({
  status: Type.Literal('not_ready'),
  checks: Type.Array(Type.Object({ name: Type.String(), ok: Type.Boolean(), detail: Type.String() })),
});

/** `?verbose` (or `=true`) asks for Kubernetes-style text; `=false` is accepted so the flag can be switched off. */
export const ReadyzQuery = Type.Object({
  verbose: Type.Optional(Type.Enum(['', 'true', 'false'])),
});
