/**
 * A lean dispatcher in front of Express for the hottest read routes (polling an order, the
 * account, the order list). It runs the same route table, pipeline (auth, rate limits), handlers
 * and presenters as the Express path — only the framework is skipped. Anything it does not
 * serve (other routes, bodies, unusual requests) falls through to Express.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseQuery } from 'node:querystring';
import type { HandlerResult } from './envelope.js';
import { labelRoute, type createInstrumentation } from './instrument.js';
import type { ClientAddress } from './client-address.js';
import { runRoute, type PipelineDeps } from './pipeline.js';
import { compileRoute, matchPath, type Route } from './route.js';

export type FastHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

/** Writes a result: every header in one writeHead (Node's fast case when none was set before). */
export function writeResult(res: ServerResponse, result: HandlerResult, requestId?: string): void {
  // The client left while the answer was being prepared (a long-poll, a slow upstream).
  if (res.destroyed) return;
  if (result.stream) return writeStream(res, result, requestId);
  const body = result.json ?? JSON.stringify(result.body);
  const headers = ['Content-Type', 'application/json; charset=utf-8', 'Content-Length', String(Buffer.byteLength(body))];
  if (requestId !== undefined) headers.push('X-Request-Id', requestId);
  if (result.headers) for (const k in result.headers) headers.push(k, result.headers[k]!);
  res.writeHead(result.status, headers);
  res.end(body);
}

function writeStream(res: ServerResponse, result: HandlerResult, requestId?: string): void {
  const { stream } = result;
  const headers = ['Content-Type', stream!.contentType];
  if (requestId !== undefined) headers.push('X-Request-Id', requestId);
  if (result.headers) for (const k in result.headers) headers.push(k, result.headers[k]!);
  res.writeHead(result.status, headers);
  stream!.start(res);
}

export function createFastPath(
  deps: PipelineDeps,
  routes: readonly Route[],
  begin: ReturnType<typeof createInstrumentation>,
  clientAddress: ClientAddress,
): FastHandler {
  const compiled = routes.filter((r) => r.method === 'GET' && r.fast).map(compileRoute);
  return (req, res) => {
    if (req.method !== 'GET') return false;
    // A GET with a body is unusual enough to leave to Express.
    if (req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined) return false;
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    for (const c of compiled) {
      const params = matchPath(c, path);
      if (!params) continue;
      const inst = begin(req, res, path);
      labelRoute(res, c.route.path);
      const out = inst.within(() =>
        runRoute(deps, c.route, {
          method: 'GET',
          path,
          params,
          query: q < 0 ? {} : (parseQuery(url.slice(q + 1)) as Record<string, unknown>),
          body: undefined,
          headers: req.headers,
          ip: clientAddress(req),
        }),
      );
      if (out instanceof Promise) void out.then((result) => writeResult(res, result, inst.requestId));
      else writeResult(res, out, inst.requestId);
      return true;
    }
    return false;
  };
}
