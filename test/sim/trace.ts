// The simulator's trace: one line per event (time, node, what happened, key fields), in the spirit of
// TigerBeetle's VOPR output, so a failing seed can be read top to bottom. Lines are only built when
// tracing is on; a normal run pays one boolean test per event.
import { DecodeError, MessageType, readHeader } from '../../src/mrtom/header.js';

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
      return `${type} s${header.session} v${header.view} seq=${header.seq} commit=${header.commit} from=${header.sender}`;
  }
}
