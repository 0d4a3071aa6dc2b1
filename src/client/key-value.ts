// Values in and out: callers give a Uint8Array or a string; they get a KeyValue whose bytes are exact,
// with text() and json() for the common cases. JSON bodies carry values in base64 (docs/api.md); no
// base64 ever reaches user code.

export type Value = Uint8Array | string;

/** A key's state as the server reported it; fields a route does not report are undefined. */
export interface KeyMeta {
  modRevision: number;
  createRevision?: number;
  version?: number;
  contentType?: string;
  lease?: number;
}

/** An item of a listing, a txn get/range or a watch put event, as JSON (docs/api.md). */
export interface WireItem {
  key: string;
  value?: string;
  contentType?: string;
  createRevision: number;
  modRevision: number;
  version: number;
  lease?: number;
}

/** KeyValue.toJSON(): a WireItem, less the fields the route that produced it did not report. */
export type KeyValueJSON = Pick<WireItem, 'key' | 'modRevision'> & Partial<WireItem>;

const utf8 = new TextDecoder('utf-8');
const NO_VALUE = new Uint8Array(0);

export function toBytes(value: Value): Uint8Array {
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
}

/** The content type a value is stored with unless the caller names one. */
export function defaultContentType(value: Value): string {
  return typeof value === 'string' ? 'text/plain; charset=utf-8' : 'application/octet-stream';
}

export class KeyValue implements KeyMeta {
  readonly modRevision: number;
  readonly createRevision?: number;
  readonly version?: number;
  readonly contentType?: string;
  readonly lease?: number;

  constructor(
    readonly key: string,
    /** The stored bytes; empty for keys-only listings. */
    readonly value: Uint8Array,
    meta: KeyMeta,
    /** False for keys-only listings, whose items carry no value. */
    private readonly hasValue = true,
  ) {
    this.modRevision = meta.modRevision;
    if (meta.createRevision !== undefined) this.createRevision = meta.createRevision;
    if (meta.version !== undefined) this.version = meta.version;
    if (meta.contentType !== undefined) this.contentType = meta.contentType;
    if (meta.lease !== undefined) this.lease = meta.lease;
  }

  static fromWire(item: WireItem): KeyValue {
    if (item.value === undefined) return new KeyValue(item.key, NO_VALUE, item, false);
    return new KeyValue(item.key, Buffer.from(item.value, 'base64'), item);
  }

  /** The value as UTF-8 text. */
  text(): string {
    return utf8.decode(this.value);
  }

  /** The value parsed as JSON; throws SyntaxError when it is not JSON. */
  json<T = unknown>(): T {
    return JSON.parse(this.text()) as T;
  }

  /** The JSON item shape of docs/api.md (value in base64), so JSON.stringify matches the HTTP API. */
  toJSON(): KeyValueJSON {
    const item: KeyValueJSON = { key: this.key, modRevision: this.modRevision };
    if (this.hasValue) item.value = Buffer.from(this.value).toString('base64');
    if (this.createRevision !== undefined) item.createRevision = this.createRevision;
    if (this.version !== undefined) item.version = this.version;
    if (this.contentType !== undefined) item.contentType = this.contentType;
    if (this.lease !== undefined) item.lease = this.lease;
    return item;
  }
}
