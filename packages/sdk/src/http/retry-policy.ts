/**
 * When an attempt may be repeated, after how long, and what a failed write leaves known.
 *
 * Reads are retried on network errors, timeouts, 408, 429 and 5xx. A write is retried only
 * when it cannot have happened (429: the limiter refused it before it ran; a connection refused
 * before sending) or when it carries an Idempotency-Key, because then the server replays the
 * first outcome instead of running it twice.
 */
import type { Random } from '../ports/random.js';

export interface RetrySettings {
  /** Retries after the first attempt. */
  maxRetries: number;
  /** The first backoff step; each retry doubles it. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** A Retry-After longer than this is not waited out: the error goes to the caller. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY: RetrySettings = { maxRetries: 2, baseDelayMs: 500, maxDelayMs: 8_000, maxRetryAfterMs: 60_000 };

/** How an attempt failed, as far as retrying is concerned. */
export type Failure =
  { kind: 'status'; status: number; code: string } | { kind: 'network'; sent: boolean } | { kind: 'timeout' } | { kind: 'invalid' };

/** Exponential backoff with equal jitter: half of the step for sure, plus a random half. `retry` counts from 1. */
export function backoffDelay(retry: number, settings: RetrySettings, random: Random): number {
  const step = Math.min(settings.maxDelayMs, settings.baseDelayMs * 2 ** (retry - 1));
  return Math.round(step / 2 + random() * (step / 2));
}

export function isRetryable(method: string, failure: Failure, hasIdempotencyKey: boolean): boolean {
  if (failure.kind === 'invalid') return false;
  if (failure.kind === 'network' && !failure.sent) return true;
  if (failure.kind === 'status' && failure.status === 429) return true;
  if (method !== 'GET' && !hasIdempotencyKey) return false;
  if (failure.kind !== 'status') return true;
  if (failure.code === 'IDEMPOTENCY_IN_PROGRESS') return hasIdempotencyKey;
  return failure.status === 408 || failure.status >= 500;
}

/**
 * What a failed write attempt says about whether it ran: 'unknown' (it may have), 'known' (the
 * server gave a definite refusal), or 'unchanged' (it certainly did not run, so whatever earlier
 * attempts left open stays open).
 */
export function writeOutcome(failure: Failure): 'unknown' | 'known' | 'unchanged' {
  switch (failure.kind) {
    case 'network':
      return failure.sent ? 'unknown' : 'unchanged';
    case 'timeout':
    case 'invalid':
      return 'unknown';
    case 'status':
      if (failure.status === 429) return 'unchanged';
      if (failure.code === 'UPSTREAM_UNAVAILABLE') return 'known';
      if (failure.status >= 500 || failure.status === 408 || failure.code === 'IDEMPOTENCY_IN_PROGRESS') return 'unknown';
      return 'known';
  }
}
