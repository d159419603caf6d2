/**
 * What every request gets, whichever path serves it (Express or the lean dispatcher): a request
 * id (the client's, if it sent a sane one; each path sends it as X-Request-Id), and on finish an access-log
 * line and the observe hook. Request ids are a per-process random prefix and a counter: unique,
 * and cheap enough for the hot path.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Engine } from '../engine.js';
import { redactSecrets, requestContext } from '../logger.js';
import { randomBase36 } from '../ports/ids.js';
import { cryptoRng } from '../ports/rng.js';

const REQUEST_ID = /^[\w.:-]{1,128}$/;

/** Set on a response by whoever matched a route: its pattern labels the request's metrics (never the raw path). */
const ROUTE_PATTERN = Symbol('jiema.routePattern');
type Labelled = ServerResponse & { [ROUTE_PATTERN]?: string };

/** Records which route answers this response, for its metrics. */
export function labelRoute(res: ServerResponse, pattern: string): void {
  (res as Labelled)[ROUTE_PATTERN] = pattern;
}

interface ObservedRequest {
  method: string;
  path: string;
  status: number;
  /** How long the server took, in real milliseconds. */
  ms: number;
  /**
   * Which credential it came with, never the credential: `jm_…abcd` for an API key (its hint),
   * `admin token`, `console session`, or null (docs/decisions.md D114).
   */
  key: string | null;
}

export interface RequestObserver {
  (request: ObservedRequest): void;
}

/** Names the credential a request carries without revealing it: only an API key's public hint. */
function credentialHint(headers: IncomingHttpHeaders): string | null {
  if (headers['x-admin-token'] !== undefined) return 'admin token';
  const bearer = typeof headers.authorization === 'string' ? /^Bearer[ \t]+(\S+)/i.exec(headers.authorization)?.[1] : undefined;
  const header = typeof headers['x-api-key'] === 'string' ? headers['x-api-key'].trim() : undefined;
  const key = header ?? bearer;
  if (key !== undefined && /^jm_[0-9A-Za-z]{43}$/.test(key)) return `jm_…${key.slice(-4)}`;
  if (header !== undefined || key?.startsWith('jm_')) return 'malformed key';
  if (bearer !== undefined) return 'admin token';
  if (headers.authorization !== undefined) return 'malformed key';
  if (headers.cookie?.includes('jiema_session=')) return 'console session';
  return null;
}

export interface Instrumented {
  requestId: string;
  /** Runs the rest of the request inside its context, so every log line carries its id. */
  within<T>(fn: () => T): T;
}

export function createInstrumentation(engine: Engine, observe?: RequestObserver) {
  // From the CSPRNG: a seeded engine would repeat its request ids after a restart (docs/decisions.md D40).
  const prefix = `req_${randomBase36(cryptoRng, 8)}`;
  // Decided once: the access log is off below info level.
  const logRequests = engine.log.isLevelEnabled?.('info') ?? true;
  let counter = 0;
  const { metrics } = engine;
  return function begin(req: IncomingMessage, res: ServerResponse, path: string): Instrumented {
    const given = req.headers['x-request-id'];
    const requestId = typeof given === 'string' && REQUEST_ID.test(given) ? given : `${prefix}${(counter++).toString(36)}`;
    const context = { reqId: requestId };
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      const ns = process.hrtime.bigint() - started;
      // Unmatched paths share one label: a scanner's random paths must not grow the metrics.
      const labels = {
        method: req.method ?? 'GET',
        route: (res as Labelled)[ROUTE_PATTERN] ?? 'unmatched',
        status: String(res.statusCode),
      };
      metrics.httpRequests.inc(labels);
      metrics.httpDuration.observe(labels, Number(ns) / 1e9);
      if (!observe && !logRequests) return;
      const ms = Number(ns / 1000n) / 1000;
      observe?.({ method: req.method ?? 'GET', path: redactSecrets(path), status: res.statusCode, ms, key: credentialHint(req.headers) });
      if (logRequests)
        engine.log.info({
          event: 'http.request',
          reqId: requestId,
          method: req.method,
          path: redactSecrets(path),
          status: res.statusCode,
          ms,
        });
    });
    return { requestId, within: (fn) => requestContext.run(context, fn) };
  };
}
