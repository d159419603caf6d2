/**
 * The one place an HTTP error response becomes an error object: the class is chosen by the
 * server's `code` first; a code this SDK does not know stays a plain JiemaError; a response
 * that is not the JSON envelope (a proxy's HTML page) is classed by its status alone.
 */
import * as E from './api-errors.js';
import { JiemaError, type JiemaErrorInit } from './jiema-error.js';

type ErrorClass = new (init: JiemaErrorInit) => JiemaError;

const BY_CODE = {
  AUTH_MISSING: E.JiemaAuthError,
  AUTH_INVALID: E.JiemaAuthError,
  FORBIDDEN: E.JiemaForbiddenError,
  BAD_REQUEST: E.JiemaBadRequestError,
  METHOD_NOT_ALLOWED: E.JiemaBadRequestError,
  PAYLOAD_TOO_LARGE: E.JiemaBadRequestError,
  UNSUPPORTED_MEDIA_TYPE: E.JiemaBadRequestError,
  INSUFFICIENT: E.JiemaInsufficientBalanceError,
  NO_NUMBERS: E.JiemaNoNumbersError,
  BAD_SERVICE: E.JiemaBadServiceError,
  BAD_COUNTRY: E.JiemaBadCountryError,
  BAD_STATUS: E.JiemaBadStatusError,
  CODE_RECEIVED: E.JiemaCodeReceivedError,
  ALREADY_CHANGED: E.JiemaAlreadyChangedError,
  NOT_FOUND: E.JiemaNotFoundError,
  IDEMPOTENCY_IN_PROGRESS: E.JiemaIdempotencyInProgressError,
  IDEMPOTENCY_MISMATCH: E.JiemaIdempotencyMismatchError,
  REQUEST_TIMEOUT: E.JiemaRequestTimeoutError,
  RATE_LIMITED: E.JiemaRateLimitedError,
  INTERNAL: E.JiemaInternalError,
  UPSTREAM_UNAVAILABLE: E.JiemaUpstreamUnavailableError,
  STORAGE_UNAVAILABLE: E.JiemaStorageUnavailableError,
} as const satisfies Readonly<Record<string, ErrorClass>>;

/**
 * Every error code of the public API this SDK gives its own class. A test checks it against the
 * error codes of the OpenAPI document the server serves, so the two cannot drift.
 */
export type ApiErrorCode = keyof typeof BY_CODE;
export const API_ERROR_CODES = Object.keys(BY_CODE) as readonly ApiErrorCode[];

function classByStatus(status: number): ErrorClass {
  if (status === 401) return E.JiemaAuthError;
  if (status === 403) return E.JiemaForbiddenError;
  if (status === 404) return E.JiemaNotFoundError;
  if (status === 429) return E.JiemaRateLimitedError;
  if (status >= 500) return E.JiemaServerError;
  return JiemaError;
}

export interface ErrorResponse {
  status: number;
  body: unknown;
  headers: Headers;
  requestId: string | undefined;
  retryAfterMs: number | undefined;
}

interface Envelope {
  ok: false;
  code: string;
  message: string;
}

function isErrorEnvelope(body: unknown): body is Envelope {
  const b = body as Partial<Envelope> | null;
  return typeof b === 'object' && b !== null && b.ok === false && typeof b.code === 'string';
}

export function errorFromResponse(res: ErrorResponse): JiemaError {
  const base = { status: res.status, requestId: res.requestId, headers: res.headers, retryAfterMs: res.retryAfterMs };
  if (isErrorEnvelope(res.body)) {
    const Class: ErrorClass = Object.hasOwn(BY_CODE, res.body.code) ? BY_CODE[res.body.code as ApiErrorCode] : JiemaError;
    const message = typeof res.body.message === 'string' && res.body.message ? res.body.message : res.body.code;
    return new Class({ ...base, code: res.body.code, message });
  }
  const type = res.headers.get('content-type') ?? 'no content type';
  return new (classByStatus(res.status))({
    ...base,
    code: `HTTP_${res.status}`,
    message: `HTTP ${res.status} with a body that is not the jiema JSON envelope (${type}); a proxy or gateway may have answered.`,
  });
}
