/**
 * Requests Node's HTTP parser refuses before any route sees them — a bad request line or header,
 * headers over the limit, a broken chunked body, a request too slow to arrive — and CONNECT get
 * the JSON envelope too (DECISIONS D15), instead of Node's bodiless 400, 431 and 408.
 */
import { STATUS_CODES, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { HTTP_STATUS, type ErrorCode } from '../errors/error-codes.js';

function rawResponse(code: ErrorCode, message: string): string {
  const body = JSON.stringify({ ok: false, code, message });
  const status = HTTP_STATUS[code];
  return `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
}

function messageFor(err: NodeJS.ErrnoException): string {
  if (err.code === 'HPE_HEADER_OVERFLOW') return 'The request headers are too large.';
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') return 'The request took too long to arrive.';
  return 'The request is not valid HTTP/1.1.';
}

export function answerMalformedRequests(server: Server): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    // As Node's own handler: answer only on a socket nothing was written to yet.
    if (err.code === 'ECONNRESET' || !socket.writable || (socket as Socket).bytesWritten > 0) {
      socket.destroy();
      return;
    }
    socket.end(rawResponse('BAD_REQUEST', messageFor(err)));
  });
  server.on('connect', (_req, socket: Duplex) => {
    socket.end(rawResponse('METHOD_NOT_ALLOWED', 'CONNECT is not supported here.'));
  });
}
