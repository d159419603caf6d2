/**
 * One class per kind of refusal the server can answer with. `errorFromResponse` picks the class
 * by the server's `code` first; these classes only name the kind (and, for rate limits, when to
 * come back).
 */
import { JiemaError, type JiemaErrorInit } from './jiema-error.js';

/** 401 AUTH_MISSING / AUTH_INVALID: no key, or a mistyped, unknown or revoked one. */
export class JiemaAuthError extends JiemaError {}

/** 403 FORBIDDEN: the account is banned, or has no access. */
export class JiemaForbiddenError extends JiemaError {}

/**
 * 400 BAD_REQUEST (and 405, 413, 415): the request itself was malformed. The message names
 * the field. Retrying the same request cannot help.
 */
export class JiemaBadRequestError extends JiemaError {}

/** 400 INSUFFICIENT: the balance is below the price; top up. The upstream was not asked. */
export class JiemaInsufficientBalanceError extends JiemaError {}

/** 400 NO_NUMBERS: out of stock, or the service is not offered in that country. */
export class JiemaNoNumbersError extends JiemaError {}

/** 400 BAD_SERVICE: unknown service code or slug. */
export class JiemaBadServiceError extends JiemaError {}

/** 400 BAD_COUNTRY: unknown country id or slug. */
export class JiemaBadCountryError extends JiemaError {}

/** 400 BAD_STATUS: next-sms on an order that is not RECEIVED. */
export class JiemaBadStatusError extends JiemaError {}

/** 400 CODE_RECEIVED: cancel after an SMS arrived; the order is paid for. */
export class JiemaCodeReceivedError extends JiemaError {}

/** 400 ALREADY_CHANGED: cancel of an order that is no longer waiting for its first SMS. */
export class JiemaAlreadyChangedError extends JiemaError {}

/** 404 NOT_FOUND: the order does not exist, or is not yours. */
export class JiemaNotFoundError extends JiemaError {}

/** 409 IDEMPOTENCY_IN_PROGRESS: the first request with this Idempotency-Key is still running. */
export class JiemaIdempotencyInProgressError extends JiemaError {}

/** 422 IDEMPOTENCY_MISMATCH: this Idempotency-Key was used for a different request. */
export class JiemaIdempotencyMismatchError extends JiemaError {}

/**
 * 408 REQUEST_TIMEOUT: the request took the server too long to receive (a slow or stalled
 * client). Retried like a network error: reads always, writes only with an Idempotency-Key.
 */
export class JiemaRequestTimeoutError extends JiemaError {}

/** 429 RATE_LIMITED: the key's limit for this class of request is used up. */
export class JiemaRateLimitedError extends JiemaError {
  /** How long the server asked to wait (Retry-After), when it said. */
  readonly retryAfterMs: number | undefined;
  constructor(init: JiemaErrorInit & { retryAfterMs?: number | undefined }) {
    super(init);
    this.retryAfterMs = init.retryAfterMs;
  }
}

/** A 5xx: the server, or a proxy in front of it, failed. */
export class JiemaServerError extends JiemaError {}

/** 500 INTERNAL: a bug on the server; it has been logged there. */
export class JiemaInternalError extends JiemaServerError {}

/**
 * 503 STORAGE_UNAVAILABLE: the server lost its database (an operator has to act); nothing was
 * charged or changed.
 */
export class JiemaStorageUnavailableError extends JiemaServerError {}

/** 503 UPSTREAM_UNAVAILABLE: the number provider failed; nothing was charged. */
export class JiemaUpstreamUnavailableError extends JiemaServerError {}
