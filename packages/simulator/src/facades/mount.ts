/**
 * Routes upstream-protocol requests to the facades, ahead of the jiema app on the same port:
 * `/stubs/handler_api.php` (SMS-Activate family) and `/v1/user/…`, `/v1/guest/…` (5sim).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SimFaultError } from '../fake-upstream.js';
import type { FacadeGuard } from './facade-guard.js';
import type { World } from '../world.js';
import { handleFiveSim } from './five-sim/handler.js';
import { handleSmsActivate } from './sms-activate/handler.js';

export type FacadeMode = 'always200' | 'status';

export interface FacadeContext {
  world: World;
  guard: FacadeGuard;
  mode: FacadeMode;
}

/** The client's address as the facades see it (they are never behind a trusted proxy). */
export const peerAddress = (req: IncomingMessage): string => req.socket.remoteAddress ?? 'unknown';

export function mountFacades(req: IncomingMessage, res: ServerResponse, ctx: FacadeContext): boolean {
  const path = (req.url ?? '/').split('?')[0]!;
  if (path === '/stubs/handler_api.php') {
    void handleSmsActivate(req, res, ctx).catch(() => fail(res));
    return true;
  }
  if (path.startsWith('/v1/user/') || path.startsWith('/v1/guest/')) {
    void handleFiveSim(req, res, ctx).catch(() => fail(res));
    return true;
  }
  return false;
}

function fail(res: ServerResponse): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(500, { 'content-type': 'text/plain' }).end('SERVER_ERROR');
}

/** Reads a small request body (form-encoded parameters on POST). */
export async function readBody(req: IncomingMessage, limit = 16 * 1024): Promise<string> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new Error('body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Answers like a proxy in front of a dead upstream: an HTML 502. */
function sendGarbage(res: ServerResponse): void {
  res
    .writeHead(502, { 'content-type': 'text/html' })
    .end(
      '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body>\r\n</html>\r\n',
    );
}

/**
 * Answers an armed fault the way the wire would show it; false when the error is no fault's.
 * `reply` faults answer their exact body and status, garbage is an HTML 502, a timeout hangs.
 */
export function sendFault(res: ServerResponse, err: unknown): boolean {
  if (!(err instanceof SimFaultError)) return false;
  const f = err.fault;
  if (f.kind === 'reply') res.writeHead(f.status, { 'content-type': f.contentType }).end(f.body);
  else if (f.kind === 'garbage') sendGarbage(res);
  else if (f.kind === 'timeout') hang(res);
  else return false;
  return true;
}

/** Never answers in time: holds the connection, then drops it. */
function hang(res: ServerResponse, ms = 30_000): void {
  const timer = setTimeout(() => res.destroy(), ms);
  timer.unref();
  res.on('close', () => clearTimeout(timer));
}
