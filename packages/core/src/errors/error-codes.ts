/**
 * Every error code the public and admin APIs can answer with, and its HTTP status. The
 * `satisfies` clause makes the table exhaustive: a new code without a status fails to compile.
 */
export const ERROR_CODES = [
  'AUTH_MISSING',
  'AUTH_INVALID',
  'FORBIDDEN',
  'BAD_REQUEST',
  'INSUFFICIENT',
  'NO_NUMBERS',
  'BAD_SERVICE',
  'BAD_COUNTRY',
  'BAD_STATUS',
  'CODE_RECEIVED',
  'ALREADY_CHANGED',
  'KEY_LIMIT',
  'NOT_FOUND',
  'METHOD_NOT_ALLOWED',
  'IDEMPOTENCY_IN_PROGRESS',
  'REQUEST_TIMEOUT',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'IDEMPOTENCY_MISMATCH',
  'RATE_LIMITED',
  'INTERNAL',
  'UPSTREAM_UNAVAILABLE',
  'STORAGE_UNAVAILABLE',
  'NOT_READY',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export const HTTP_STATUS = {
  AUTH_MISSING: 401,
  AUTH_INVALID: 401,
  FORBIDDEN: 403,
  BAD_REQUEST: 400,
  INSUFFICIENT: 400,
  NO_NUMBERS: 400,
  BAD_SERVICE: 400,
  BAD_COUNTRY: 400,
  BAD_STATUS: 400,
  CODE_RECEIVED: 400,
  ALREADY_CHANGED: 400,
  KEY_LIMIT: 400,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  IDEMPOTENCY_IN_PROGRESS: 409,
  REQUEST_TIMEOUT: 408,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  IDEMPOTENCY_MISMATCH: 422,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  UPSTREAM_UNAVAILABLE: 503,
  STORAGE_UNAVAILABLE: 503,
  NOT_READY: 503,
} as const satisfies Record<ErrorCode, number>;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}
