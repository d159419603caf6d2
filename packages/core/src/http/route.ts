/**
 * What a route is: method, path, who may call it, its rate class, its schemas (for validation
 * and the generated OpenAPI document) and a handler that knows nothing of Express.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { z } from 'zod';
import type { Principal } from '../account/account-service.js';
import type { ConsoleSession } from '../console/console-sessions.js';
import type { Engine } from '../engine.js';
import type { ErrorCode } from '../errors/error-codes.js';
import type { StoredResponse } from '../idempotency/idempotency-service.js';
import type { HandlerResult } from './envelope.js';
import type { RateClass } from './rate-limiter.js';

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface RouteContext {
  engine: Engine;
  params: Record<string, string>;
  query: Record<string, unknown>;
  body: unknown;
  headers: IncomingHttpHeaders;
  /** Set on user routes. */
  principal: Principal | undefined;
  /** The console session the request came with, when it authenticated by its cookie (docs/decisions.md D111). */
  session?: ConsoleSession | undefined;
  /** The client's address (the trusted proxies' view of it, docs/decisions.md D44). */
  ip?: string;
  /**
   * Records the response to replay for this request's Idempotency-Key, if it has one. Handlers
   * that write call it inside their write transaction, so the record and the change commit together.
   */
  remember(response: StoredResponse): void;
}

export interface Route {
  method: Method;
  path: string;
  /**
   * The operation's stable name in the OpenAPI document, which generated clients use as the
   * method name: lowerCamelCase verb + noun, `admin`/`sim` first outside the public API
   * (docs/decisions.md D80). Never rename one: it breaks every generated client.
   */
  operationId: string;
  auth: 'user' | 'admin' | 'none';
  rateClass?: Exclude<RateClass, 'auth_failure'>;
  /** Accepts an Idempotency-Key header (docs/decisions.md D17). */
  idempotent?: boolean;
  /** A hot GET route the lean dispatcher serves ahead of Express (same pipeline and handler). */
  fast?: boolean;
  summary: string;
  /** More than the summary, for the API reference (Markdown). */
  description?: string;
  tag: 'public' | 'admin' | 'system' | 'simulator' | 'console';
  request?: { body?: z.ZodType; query?: z.ZodType };
  /**
   * A success is a `text/event-stream` (server-sent events) whose events' `data` is `response`;
   * the response check (docs/decisions.md D85) then looks at the status only.
   */
  eventStream?: true;
  /** Holds the answer on `wait` (long-poll); such answers carry `Jiema-Long-Poll` (documented in the OpenAPI document). */
  longPoll?: true;
  /** The schema of `data` in a successful response. */
  response: z.ZodType;
  /** False when a success answers `response` itself instead of `{ ok: true, data }` (the OpenAPI document). */
  enveloped?: false;
  /** The media type of a successful response when it is not JSON (the metrics' Prometheus text). */
  contentType?: string;
  /** The status of a successful response. Default 200. */
  successStatus?: 200 | 201;
  /**
   * The codes the handler itself may answer with. The codes the pipeline adds (authentication,
   * rate limits, Idempotency-Key, body parsing, unknown ids) are derived from the route's other
   * fields and need not be listed (docs/decisions.md D82).
   */
  errors: ErrorCode[];
  handler(ctx: RouteContext): Promise<HandlerResult> | HandlerResult;
}

export const defineRoute = (route: Route): Route => route;

/** Splits a pattern once so matching a request path is a segment walk, no regex. */
export interface CompiledRoute {
  route: Route;
  segments: string[];
}

export function compileRoute(route: Route): CompiledRoute {
  return { route, segments: route.path.split('/').slice(1) };
}

export function matchPath(compiled: CompiledRoute, path: string): Record<string, string> | undefined {
  const parts = path.split('/').slice(1);
  if (parts.length !== compiled.segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < parts.length; i++) {
    const seg = compiled.segments[i]!;
    const part = parts[i]!;
    if (seg.startsWith(':')) {
      if (part === '') return undefined;
      try {
        params[seg.slice(1)] = decodeURIComponent(part);
      } catch {
        return undefined;
      }
    } else if (seg !== part) return undefined;
  }
  return params;
}
