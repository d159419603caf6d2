/**
 * The request pipeline every route runs, whatever carries the request (Express, or a lean
 * dispatcher): authenticate, rate-limit, apply Idempotency-Key, call the handler, and turn any
 * error into the envelope. Nothing here depends on Express.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Principal } from '../account/account-service.js';
import type { Engine } from '../engine.js';
import { AppError } from '../errors/app-error.js';
import { requestFingerprint, type StoredResponse } from '../idempotency/idempotency-service.js';
import { checkAdminToken, hasCredentialHeaders, readApiKey } from './auth.js';
import type { ConsoleSession, ConsoleSessions } from '../console/console-sessions.js';
import { errorResult, toErrorResult, type HandlerResult } from './envelope.js';
import { rateLimitHeaders, type RateLimits } from './rate-limiter.js';
import type { Route, RouteContext } from './route.js';

export interface PipelineDeps {
  engine: Engine;
  limits: RateLimits;
  /** The SHA-256 hex digest of the admin token. */
  adminTokenSha256: string;
  /** The console's sessions, when the app serves the console: a session cookie is one more credential (docs/decisions.md D111). */
  sessions?: ConsoleSessions;
}

export interface IncomingCall {
  method: string;
  path: string;
  params: Record<string, string>;
  query: Record<string, unknown>;
  body: unknown;
  headers: IncomingHttpHeaders;
  ip: string;
}

/**
 * Resolves the caller: from the request's key or admin token, or — with neither — from a console
 * session cookie, with the same rules (a user session never opens admin routes). A failed
 * authentication is counted against the client address; once an address has failed too often in
 * the window, its further failures are answered 429 instead of 401. Valid credentials are never
 * refused because others failed (docs/decisions.md D44).
 */
function authenticate(deps: PipelineDeps, route: Route, call: IncomingCall): { principal?: Principal; session?: ConsoleSession } {
  const bySession = deps.sessions !== undefined && !hasCredentialHeaders(call.headers);
  if (route.auth === 'none') {
    if (!bySession) return {};
    try {
      return { session: deps.sessions!.resolve(call.headers) };
    } catch {
      return {}; // an ended session on an open route is no session
    }
  }
  try {
    const session = bySession ? deps.sessions!.resolve(call.headers) : undefined;
    if (route.auth === 'admin') {
      if (session) {
        if (session.kind !== 'operator')
          throw new AppError('AUTH_INVALID', "This console session is a user's; operator pages need the admin token.");
        return { session };
      }
      checkAdminToken(call.headers, deps.adminTokenSha256);
      return {};
    }
    if (session) return { session, principal: deps.sessions!.principal(session) };
    return { principal: deps.engine.accounts.authenticate(readApiKey(call.headers)) };
  } catch (err) {
    if (err instanceof AppError && (err.code === 'AUTH_INVALID' || err.code === 'AUTH_MISSING')) {
      const d = deps.limits.byClass.auth_failure.hit(call.ip);
      deps.engine.log.info({ event: 'auth.failed', errorCode: err.code, ip: call.ip, throttled: !d.allowed });
      if (!d.allowed) {
        deps.engine.metrics.rateLimitRefusals.inc({ class: 'auth_failure' });
        throw new AppError(
          'RATE_LIMITED',
          `Too many failed authentication attempts from this address; wait ${d.resetSeconds} s and try again with valid credentials.`,
          {
            retryAfterSeconds: d.resetSeconds,
          },
        );
      }
    }
    throw err;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** A result's headers, with Retry-After when the error says how long to wait. */
function retryAfter(err: unknown): Record<string, string> | undefined {
  const s = err instanceof AppError ? err.details?.retryAfterSeconds : undefined;
  return typeof s === 'number' ? { 'Retry-After': String(s) } : undefined;
}

/**
 * Runs one request through the pipeline. Synchronous when the handler is (a poll that needs no
 * upstream sync), so the hottest path allocates no promise; a promise otherwise.
 */
export function runRoute(deps: PipelineDeps, route: Route, call: IncomingCall): HandlerResult | Promise<HandlerResult> {
  let headers: Record<string, string> = {};
  let idem: { userId: string; key: string; attempt: string; stored: boolean } | undefined;
  const fail = (err: unknown): HandlerResult => {
    const result = toErrorResult(err);
    if (!(err instanceof AppError))
      deps.engine.log.error({ event: 'http.unhandled', error: err instanceof Error ? err.stack : String(err) });
    if (idem) {
      // Whatever `remember` wrote rolled back with the failed transaction (a committed record is
      // 'done', which neither call below touches). A refusal is part of the record; a failure on
      // our or the upstream's side may be retried with the same key.
      if (result.status >= 500 || result.status === 409) deps.engine.idempotency.abandon(idem.userId, idem.key, idem.attempt);
      else {
        try {
          deps.engine.idempotency.complete(idem.userId, idem.key, idem.attempt, { status: result.status, body: result.body });
        } catch {
          // The key was taken over by a retry: that attempt's answer is the one recorded.
        }
      }
    }
    return { ...result, headers: { ...headers, ...retryAfter(err), ...result.headers } };
  };
  const finish = (result: HandlerResult): HandlerResult => {
    if (idem && !idem.stored) {
      try {
        deps.engine.idempotency.complete(idem.userId, idem.key, idem.attempt, { status: result.status, body: result.body });
      } catch (err) {
        return fail(err);
      }
    }
    // Not a spread: a handler's body may be a lazy getter over pre-serialized JSON.
    result.headers = { ...headers, ...result.headers };
    return result;
  };
  try {
    if (route.tag !== 'system') {
      const storage = deps.engine.storage.status();
      if (!storage.ok)
        throw new AppError(
          'STORAGE_UNAVAILABLE',
          `The server cannot use its database: ${storage.detail} Nothing was changed; an operator must restart it on a database file.`,
        );
    }
    const { principal, session } = authenticate(deps, route, call);
    // A cookie rides along on any request the browser makes: state changes need the page's token too.
    if (session && !SAFE_METHODS.has(call.method)) deps.sessions!.checkCsrf(session, call.headers);
    if (route.rateClass && principal) {
      const d = deps.limits.byClass[route.rateClass].hit(`${principal.keyId}`);
      headers = rateLimitHeaders(route.rateClass, d);
      if (!d.allowed) {
        deps.engine.metrics.rateLimitRefusals.inc({ class: route.rateClass });
        const r = errorResult(
          'RATE_LIMITED',
          `Rate limit of ${d.limit} ${route.rateClass} requests per minute reached for this key; retry in ${d.resetSeconds} s.`,
        );
        r.headers = { ...headers, 'Retry-After': String(d.resetSeconds) };
        return r;
      }
    }
    const idemHeader = call.headers['idempotency-key'];
    if (idemHeader !== undefined && route.idempotent && principal) {
      if (Array.isArray(idemHeader)) throw new AppError('BAD_REQUEST', 'The Idempotency-Key header must appear once.');
      const begun = deps.engine.idempotency.begin(principal.user.id, idemHeader, requestFingerprint(call.method, call.path, call.body));
      if (begun.kind === 'replay') return { ...begun.response, headers: { ...headers, 'Idempotent-Replayed': 'true' } };
      idem = { userId: principal.user.id, key: idemHeader, attempt: begun.attempt, stored: false };
    }
    const ctx: RouteContext = {
      engine: deps.engine,
      params: call.params,
      query: call.query,
      body: call.body,
      headers: call.headers,
      principal,
      session,
      ip: call.ip,
      remember(response: StoredResponse) {
        if (!idem) return;
        deps.engine.idempotency.complete(idem.userId, idem.key, idem.attempt, response);
        idem.stored = true;
      },
    };
    const out = route.handler(ctx);
    return isPromise(out) ? out.then(finish, fail) : finish(out);
  } catch (err) {
    return fail(err);
  }
}

function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as Promise<T> | undefined)?.then === 'function';
}
