/**
 * Hooks for logging and metrics. They are called synchronously, once per attempt; what they
 * return is ignored and what they throw is swallowed, so a broken logger never breaks a call.
 * Header values they see have the API key masked.
 */
import type { JiemaError } from '../errors/jiema-error.js';
import type { RateClass } from '../pacing/rate-pacer.js';

export interface RequestEvent {
  method: string;
  /** The path under /api/v1, e.g. "/orders/ck…". */
  path: string;
  url: string;
  /** 1 for the first attempt, 2 for the first retry, … */
  attempt: number;
  requestId: string;
  idempotencyKey: string | undefined;
  rateClass: RateClass;
  /** The request headers, with the API key masked. */
  headers: Readonly<Record<string, string>>;
}

export interface ResponseEvent {
  method: string;
  path: string;
  url: string;
  attempt: number;
  requestId: string;
  /** Undefined when no response arrived (network error, timeout, abort). */
  status: number | undefined;
  durationMs: number;
  /** The response headers; empty when no response arrived. */
  headers: Readonly<Record<string, string>>;
  /** The error this attempt produced, if it failed. */
  error: JiemaError | undefined;
}

export interface RetryEvent {
  method: string;
  path: string;
  /** The attempt that failed; the next one is attempt + 1. */
  attempt: number;
  delayMs: number;
  error: JiemaError;
  requestId: string;
  idempotencyKey: string | undefined;
}

export interface ClientHooks {
  onRequest?: (event: RequestEvent) => void;
  onResponse?: (event: ResponseEvent) => void;
  onRetry?: (event: RetryEvent) => void;
}

export function callHook<E>(hook: ((event: E) => void) | undefined, event: E): void {
  try {
    hook?.(event);
  } catch {
    // A hook is for observing; its failure must not change the call's outcome.
  }
}
