// The content type stored with a value is checked where it enters (a PUT's Content-Type header, a txn
// put's contentType): an RFC 9110 media type (§8.3.1) in visible ASCII, of at most CONTENT_TYPE_BYTES_MAX
// bytes, so that every stored one can be sent back as a header. Keys written before this rule may hold
// one that cannot; those are served as application/octet-stream rather than failing every read.
import { ApiError } from './errors.js';

/** RFC 6838 caps type and subtype at 127 characters each; parameters rarely add more than a charset. */
export const CONTENT_TYPE_BYTES_MAX = 256;

/** What a value without a content type, or with one that cannot be sent, is served as. */
export const CONTENT_TYPE_DEFAULT = 'application/octet-stream';

const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
/** qdtext and quoted-pair without obs-text: Node's header checks would accept those bytes, but as Latin-1. */
const QUOTED_STRING = '"(?:[\\t !#-\\[\\]-~]|\\\\[\\t -~])*"';
const MEDIA_TYPE = new RegExp(`^${TOKEN}/${TOKEN}(?:[ \\t]*;[ \\t]*(?:${TOKEN}=(?:${TOKEN}|${QUOTED_STRING}))?)*$`);

function problemOf(text: string): string | null {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > CONTENT_TYPE_BYTES_MAX) return `is ${bytes} bytes; the limit is ${CONTENT_TYPE_BYTES_MAX}`;
  if (!MEDIA_TYPE.test(text)) return 'must be a media type such as text/plain; charset=utf-8 (RFC 9110 §8.3.1) in visible ASCII';
  return null;
}

/** `text` if it may be stored as a content type; else 400 invalid_content_type naming `field`. */
export function checkContentType(field: string, text: string): string {
  const problem = problemOf(text);
  if (problem !== null) throw new ApiError(400, 'invalid_content_type', `${field} ${problem}`);
  return text;
}

/** The Content-Type a stored value is served with. */
export function servedContentType(stored: string | undefined): string {
  return stored === undefined || problemOf(stored) !== null ? CONTENT_TYPE_DEFAULT : stored;
}
