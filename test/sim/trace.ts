// The simulator's trace: one line per event (time, node, what happened, key fields), in the spirit of
// TigerBeetle's VOPR output, so a failing seed can be read top to bottom. Lines are only built when
// tracing is on; a normal run pays one boolean test per event.
import { isRecord, unpackBody } from '../../src/mrtom/body.js';
import { DecodeError, HEADER_BYTES, MessageType, readHeader } from '../../src/mrtom/header.js';

export class Tracer {
  private readonly lines: string[] = [];

  constructor(
    readonly enabled: boolean,
    /** Called with each line as it is produced (the CLI streams them); lines are also kept for the result. */
    private readonly sink: ((line: string) => void) | null = null,
  ) {}

  /** `text` is a thunk so that a disabled tracer never formats anything. */
  event(nowMs: number, node: string, text: () => string): void {
    if (!this.enabled) return;
    const line = `${nowMs.toFixed(3).padStart(10)} ${node.padEnd(4)} ${text()}`;
    this.lines.push(line);
    this.sink?.(line);
  }

  get collected(): readonly string[] {
    return this.lines;
  }
}

/** A datagram as a short readable tag: type name and the header fields that matter for that type. */
export function describeDatagram(bytes: Uint8Array): string {
  let header;
  try {
    header = readHeader(bytes);
  } catch (err) {
    if (err instanceof DecodeError) return `malformed(${err.reason})`;
    throw err;
  }
  const type = MessageType[header.type] ?? `type${header.type}`;
  switch (header.type) {
    case MessageType.REQUEST:
      return `${type} req=${header.sender}#${header.requestId}`;
    case MessageType.ORDERED:
      return `${type} s${header.session}/q${header.seq} v${header.view} commit=${header.commit} req=${header.sender}#${header.requestId}`;
    case MessageType.ACK:
      return `${type} s${header.session} v${header.view} through=${header.seq} from=r${header.sender}`;
    case MessageType.COMMIT:
    case MessageType.HEARTBEAT:
      return `${type} s${header.session} v${header.view} last=${header.seq} commit=${header.commit}`;
    default:
      return `${type} s${header.session} v${header.view} from=r${header.sender}${describeBody(bytes.subarray(HEADER_BYTES))}`;
  }
}

/** Numbers in a list shown one by one up to this many; longer lists show their length only. */
const LIST_SHOWN_MAX = 6;

/**
 * The slow-path bodies, summarised generically from their msgpack fields (numbers as they are, short
 * lists in full, log entries as a slot range), so the trace follows the protocol's messages as they evolve.
 */
function describeBody(body: Uint8Array): string {
  if (body.byteLength === 0) return '';
  let value: unknown;
  try {
    value = unpackBody(body);
  } catch (err) {
    if (err instanceof DecodeError) return ' body=malformed';
    throw err;
  }
  if (!isRecord(value)) return '';
  const fields = Object.entries(value).map(([name, field]) => {
    if (typeof field === 'number' || typeof field === 'boolean') return `${name}=${field}`;
    if (!Array.isArray(field)) return `${name}=…`;
    if (field.every((item) => typeof item === 'number'))
      return field.length <= LIST_SHOWN_MAX ? `${name}=[${field.join(',')}]` : `${name}=[${field.length} items]`;
    const slots = field
      .map((item: unknown) => (isRecord(item) && typeof item.slot === 'number' ? item.slot : null))
      .filter((slot) => slot !== null);
    return slots.length === 0 ? `${name}=[${field.length} items]` : `${name}=slots ${slots[0]}..${slots.at(-1)} (${slots.length})`;
  });
  return ` {${fields.join(' ')}}`;
}
