/**
 * The one error type every Upstream implementation rejects with. `kind` is normalised across
 * vendors; `raw` keeps what the upstream actually said, for operators.
 */
export const UPSTREAM_ERROR_KINDS = [
  'NO_NUMBERS',
  'BAD_SERVICE',
  'BAD_COUNTRY',
  'NO_BALANCE',
  'AUTH',
  'BANNED',
  'UNAVAILABLE',
  'TIMEOUT',
  'EARLY_CANCEL_DENIED',
  'CODE_RECEIVED',
  'NO_ACTIVATION',
  'BAD_STATUS',
  'PROTOCOL',
] as const;

export type UpstreamErrorKind = (typeof UPSTREAM_ERROR_KINDS)[number];

export class UpstreamError extends Error {
  readonly kind: UpstreamErrorKind;
  readonly raw: string | undefined;
  /** For EARLY_CANCEL_DENIED: how long until a cancel may succeed, when the upstream says. */
  readonly retryAfterMs: number | undefined;
  constructor(kind: UpstreamErrorKind, message: string, options: { raw?: string; retryAfterMs?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'UpstreamError';
    this.kind = kind;
    this.raw = options.raw;
    this.retryAfterMs = options.retryAfterMs;
  }
}

export function isUpstreamError(err: unknown, kind?: UpstreamErrorKind): err is UpstreamError {
  return err instanceof UpstreamError && (kind === undefined || err.kind === kind);
}
