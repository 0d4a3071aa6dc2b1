// A raw HTTP/1.1 client for tests of what no well-behaved client sends: it writes bytes as given on one
// TCP connection and collects the bytes the server sends back.
import net from 'node:net';

export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** The head and Content-Length body of the first response in `text`, or null while it is incomplete. */
export function parseResponse(text: string): RawAnswer | null {
  const end = text.indexOf('\r\n\r\n');
  if (end === -1) return null;
  const [statusLine, ...lines] = text.slice(0, end).split('\r\n');
  const headers = Object.fromEntries(
    lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
  );
  const length = Number(headers['content-length'] ?? 0);
  if (text.length < end + 4 + length) return null;
  return { status: Number(statusLine!.split(' ')[1]), headers, body: text.slice(end + 4, end + 4 + length) };
}

export interface RawConnection {
  socket: net.Socket;
  /** Resolves with the first complete response. */
  response: Promise<RawAnswer>;
  /** Resolves when the server has closed the connection. */
  closed: Promise<void>;
}

/** Opens a connection to `base`; resolves once connected. */
export async function rawConnect(base: string): Promise<RawConnection> {
  const { hostname, port } = new URL(base);
  const socket = net.connect(Number(port), hostname);
  let received = '';
  const response = new Promise<RawAnswer>((resolve, reject) => {
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      const answer = parseResponse(received);
      if (answer !== null) resolve(answer);
    });
    socket.on('close', () => reject(new Error(`connection closed before a complete response: ${JSON.stringify(received)}`)));
  });
  // The server may reset rather than close after its answer; what it sent before counts either way.
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  return { socket, response, closed };
}

/** Sends `bytes` on a new connection and resolves with the first response; the connection is then dropped. */
export async function rawRequest(base: string, bytes: string): Promise<RawAnswer & { closedByServer: Promise<void> }> {
  const connection = await rawConnect(base);
  connection.socket.write(bytes, 'latin1');
  const answer = await connection.response;
  return { ...answer, closedByServer: connection.closed };
}
