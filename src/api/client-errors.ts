// Answers to what Node's HTTP server rejects before Fastify sees a request (a malformed request line or
// header, bad Content-Length or chunking, headers too large, a request not received in time, an Expect
// it cannot meet), in the API's one error shape instead of Fastify's or Node's own. The connection is
// closed after each: what follows on it cannot be trusted to start a request.
import { STATUS_CODES, maxHeaderSize, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { codeOfStatus, errorBody } from './errors.js';
import type { RequestTimeouts } from './http-timeouts.js';

interface ClientError extends Error {
  code?: string;
  /** llhttp's description of a parse error. */
  reason?: string;
}

function statusAndMessage(err: ClientError, timeouts: RequestTimeouts): [number, string] {
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    const { headersTimeoutMs, requestTimeoutMs } = timeouts;
    return [
      408,
      `request not received in time: headers are due within ${headersTimeoutMs} ms, the whole request within ${requestTimeoutMs} ms`,
    ];
  }
  if (err.code === 'HPE_HEADER_OVERFLOW') return [431, `request headers exceed ${maxHeaderSize} bytes`];
  return [400, `malformed HTTP request: ${err.reason ?? err.message} (${err.code ?? 'no code'})`];
}

/** Responses in progress by socket: an error answer must not be written into the middle of one. */
export type OpenResponses = WeakMap<Socket, ServerResponse>;

/** Fastify's clientErrorHandler: the error as a response of its own, unless one is already under way. */
export function clientErrorHandler(timeouts: RequestTimeouts, open: OpenResponses) {
  return (err: ClientError, socket: Socket): void => {
    // A reset connection has no one to answer.
    if (err.code === 'ECONNRESET' || socket.destroyed) return;
    const response = open.get(socket);
    const answering = response !== undefined && response.headersSent && !response.writableFinished;
    if (!socket.writable || answering) {
      socket.destroy();
      return;
    }
    const [status, message] = statusAndMessage(err, timeouts);
    const body = JSON.stringify(errorBody(codeOfStatus(status), message));
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
    // Closed once the answer is flushed, not before (destroy would drop it), and never left half open.
    socket.destroySoon();
  };
}

/** Node answers an Expect other than 100-continue with an empty 417 unless someone listens; we do. */
export function answerExpectations(app: FastifyInstance): void {
  app.server.on('checkExpectation', (request: IncomingMessage, response: ServerResponse) => {
    const body = JSON.stringify(
      errorBody(codeOfStatus(417), `Expect: ${request.headers.expect ?? ''} is not supported; only 100-continue is`),
    );
    const headers = { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), connection: 'close' };
    response.writeHead(417, headers).end(body);
  });
}
