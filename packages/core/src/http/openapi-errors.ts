/**
 * Every error an operation can answer with: the codes its handler lists, plus those the HTTP
 * layer and the pipeline add, derived from the route's own fields (docs/decisions.md D82). The
 * OpenAPI document and the response validator both read them from here.
 */
import { ERROR_CODES, HTTP_STATUS, type ErrorCode } from '../errors/error-codes.js';
import type { Route } from './route.js';

/** What each code means, one line each, for the responses of the document. */
export const ERROR_MEANINGS: Record<ErrorCode, string> = {
  AUTH_MISSING: 'No API key (or admin token) was sent.',
  AUTH_INVALID: 'The key or token is malformed, unknown or revoked, or `Authorization` is not `Bearer <key>`.',
  FORBIDDEN: 'The user is banned.',
  BAD_REQUEST:
    'The request is malformed: a missing, wrong-typed or unknown field (the message names it), a body that is not a JSON object, a repeated header, a malformed `Idempotency-Key`, or a request that is not valid HTTP/1.1.',
  INSUFFICIENT: 'The balance is below the price (or below the debit); nothing was changed.',
  NO_NUMBERS: 'Out of stock, or the service is not offered in that country.',
  BAD_SERVICE: 'Unknown service (neither a code nor a slug).',
  BAD_COUNTRY: 'Unknown country (neither an id nor a slug).',
  BAD_STATUS: 'The order (or number) is not in a status that allows this.',
  CODE_RECEIVED: 'The order already received an SMS, so it can no longer be cancelled.',
  ALREADY_CHANGED: 'The order is no longer waiting for its first SMS (finished, expired, or it lost a race); nothing was changed.',
  KEY_LIMIT: 'The user already holds 10 active keys.',
  NOT_FOUND: 'The id names nothing (for orders: nothing that is yours; both answers are identical).',
  METHOD_NOT_ALLOWED: 'The path exists with another method; `Allow` lists them.',
  IDEMPOTENCY_IN_PROGRESS: 'A request with the same `Idempotency-Key` is still being processed.',
  PAYLOAD_TOO_LARGE: 'The request body is over 16 KiB.',
  UNSUPPORTED_MEDIA_TYPE: 'The body is compressed, or its charset is not UTF-8.',
  IDEMPOTENCY_MISMATCH: 'The same `Idempotency-Key` was used with a different request.',
  RATE_LIMITED:
    'A rate limit was reached: this key\u2019s limit for the route\u2019s class, or too many failed authentications from this address. `Retry-After` says when to retry.',
  REQUEST_TIMEOUT:
    'The request\u2019s headers took more than 10 s, or the whole request more than 30 s, to arrive; the connection is closed.',
  INTERNAL: 'A bug on the server; it is logged, and the message says nothing more.',
  UPSTREAM_UNAVAILABLE: 'The number provider failed, timed out or answered garbage; nothing was charged.',
  NOT_READY:
    'The server should not take traffic now: its database cannot be written, the upstream\u2019s circuit breaker is open, or the provider balance is below the minimum. The message says which.',
  STORAGE_UNAVAILABLE:
    'The server\u2019s database file was deleted or replaced while it ran; nothing was changed until an operator restarts it.',
};

/** The codes every operation may answer with, whatever it is: the HTTP layer's own. */
const ALWAYS: readonly ErrorCode[] = ['BAD_REQUEST', 'REQUEST_TIMEOUT', 'PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE', 'INTERNAL'];

/**
 * The route's codes, in the order of ERROR_CODES:
 * - any request may be malformed HTTP or JSON, arrive too slowly, carry a body over 16 KiB or in
 *   another charset, or hit a bug;
 * - every route but the system ones answers 503 when the database file is gone;
 * - a path with ids answers NOT_FOUND for an unknown id (and for one that is not valid percent-encoding);
 * - authenticated routes: the two 401s, the failed-authentication limiter's 429, and 403 for banned users;
 * - a rate class adds its 429; Idempotency-Key adds 409 and 422.
 */
export function operationErrors(route: Route): ErrorCode[] {
  const codes = new Set<ErrorCode>([...ALWAYS, ...route.errors]);
  if (route.tag !== 'system') codes.add('STORAGE_UNAVAILABLE');
  if (route.path.includes('/:')) codes.add('NOT_FOUND');
  if (route.auth !== 'none') for (const c of ['AUTH_MISSING', 'AUTH_INVALID', 'RATE_LIMITED'] as const) codes.add(c);
  if (route.auth === 'user') codes.add('FORBIDDEN');
  if (route.rateClass) codes.add('RATE_LIMITED');
  if (route.idempotent) for (const c of ['IDEMPOTENCY_IN_PROGRESS', 'IDEMPOTENCY_MISMATCH'] as const) codes.add(c);
  return ERROR_CODES.filter((c) => codes.has(c));
}

/** The route's error codes grouped by HTTP status, statuses ascending. */
export function errorsByStatus(route: Route): Map<number, ErrorCode[]> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of operationErrors(route)) byStatus.set(HTTP_STATUS[code], [...(byStatus.get(HTTP_STATUS[code]) ?? []), code]);
  return new Map([...byStatus].sort(([a], [b]) => a - b));
}

/** Every code with that status, in table order. */
export const codesWithStatus = (status: number): ErrorCode[] => ERROR_CODES.filter((c) => HTTP_STATUS[c] === status);
