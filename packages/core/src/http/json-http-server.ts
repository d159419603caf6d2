/**
 * The node:http server every jiema listener runs on. What Node would refuse on its own, before
 * any route sees it, gets the JSON envelope too (docs/decisions.md D15) instead of a bodiless answer: an
 * unparsable request (bad request line or header, headers over the limit, a broken chunked body,
 * a request too slow to arrive), an HTTP/1.1 request without Host, CONNECT, and an Expect other
 * than 100-continue (served as if it were absent).
 */
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ErrorCode } from '../errors/error-codes.js';
import { errorResult } from './envelope.js';

export type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * The timeouts of every server the project starts (docs/decisions.md D47): a request's headers
 * must arrive within 10 s and the whole request, body included, within 30 s, or it is answered
 * 408 and the connection closed. They are checked every second, so a slow client is cut off at
 * most a second late. They bound receiving a request, never sending a response (long-poll and
 * server-sent events are unaffected). Idle keep-alive connections are closed after 65 s, longer
 * than the usual 60 s of load balancers in front.
 */
const HTTP_TIMEOUTS = { headersMs: 10_000, requestMs: 30_000, keepAliveMs: 65_000, checkEveryMs: 1_000 } as const;

/** A whole response, for sockets that never got a ServerResponse. */
function rawResponse(code: ErrorCode, message: string): string {
  const { status, body: envelope } = errorResult(code, message);
  const body = JSON.stringify(envelope);
  return `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
}

function clientErrorMessage(err: NodeJS.ErrnoException): string {
  if (err.code === 'HPE_HEADER_OVERFLOW') return 'The request headers are too large.';
  return 'The request is not valid HTTP/1.1.';
}

export function createJsonHttpServer(listener: RequestListener): Server {
  const serve: RequestListener = (req, res) => {
    // RFC 9112 §3.2 wants a 400 here; Node's own has no body.
    if (req.httpVersion === '1.1' && req.headers.host === undefined) {
      const { status, body: envelope } = errorResult('BAD_REQUEST', 'An HTTP/1.1 request needs a Host header.');
      const body = JSON.stringify(envelope);
      res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body) }).end(body);
      return;
    }
    listener(req, res);
  };
  const server = createServer(
    {
      requireHostHeader: false,
      headersTimeout: HTTP_TIMEOUTS.headersMs,
      requestTimeout: HTTP_TIMEOUTS.requestMs,
      keepAliveTimeout: HTTP_TIMEOUTS.keepAliveMs,
      connectionsCheckingInterval: HTTP_TIMEOUTS.checkEveryMs,
    },
    serve,
  );
  server.on('checkExpectation', serve);
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    // As Node's own handler: answer only on a socket nothing was written to yet.
    if (err.code === 'ECONNRESET' || !socket.writable || (socket as Socket).bytesWritten > 0) {
      socket.destroy();
      return;
    }
    if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
      socket.end(
        rawResponse(
          'REQUEST_TIMEOUT',
          `The request did not arrive in time (headers within ${HTTP_TIMEOUTS.headersMs / 1000} s, the whole request within ${HTTP_TIMEOUTS.requestMs / 1000} s).`,
        ),
      );
      return;
    }
    socket.end(rawResponse('BAD_REQUEST', clientErrorMessage(err)));
  });
  server.on('connect', (_req, socket: Duplex) => {
    socket.end(rawResponse('METHOD_NOT_ALLOWED', 'CONNECT is not supported here.'));
  });
  return server;
}
