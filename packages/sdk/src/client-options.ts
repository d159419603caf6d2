/**
 * The options of `new JiemaClient(…)`, their defaults, and how they become the requester's
 * configuration.
 */
import { checkApiKey } from './api-key.js';
import type { ClientHooks } from './http/hooks.js';
import type { RequesterConfig } from './http/requester.js';
import { DEFAULT_RETRY, type RetrySettings } from './http/retry-policy.js';
import type { FetchLike } from './http/transport.js';
import { RatePacer, type RatePacerOptions } from './pacing/rate-pacer.js';
import { systemClock, type Clock } from './ports/clock.js';
import { mathRandom, type Random } from './ports/random.js';
import { SDK_VERSION } from './version.js';

export const DEFAULT_BASE_URL = 'https://jiema.my';
export const DEFAULT_TIMEOUT_MS = 30_000;

export interface JiemaClientOptions extends ClientHooks {
  /** The `jm_…` key. It is never printed: errors, hooks, toString and inspect show `jm_…abcd`. */
  apiKey: string;
  /** The server's origin (`https://jiema.my`, `http://127.0.0.1:8787`); `/api/v1` is added unless present. */
  baseUrl?: string;
  /** Per attempt. Default 30 000 ms. */
  timeoutMs?: number;
  /** Per call, retries, backoff and pacing waits included. Default none (maxRetries bounds it). */
  totalTimeoutMs?: number;
  /** Retries after the first attempt. Default 2. */
  maxRetries?: number;
  /** Backoff tuning: baseDelayMs (500), maxDelayMs (8 000), maxRetryAfterMs (60 000). */
  retry?: Partial<Omit<RetrySettings, 'maxRetries'>>;
  /** Send a fresh Idempotency-Key with every POST that has none. Default true. */
  idempotencyKeys?: boolean;
  /**
   * Client-side pacing under the key's limits. `true` (default): the documented limits, lowered
   * by what the server advertises; an object: your own limits; a RatePacer: share one budget
   * with other clients on the same key; `false`: none (429s are still retried with Retry-After).
   */
  pacing?: boolean | RatePacerOptions | RatePacer;
  /** Default the global fetch. */
  fetch?: FetchLike;
  /** Default the system clock; tests pass their own. */
  clock?: Clock;
  /** Uniform [0, 1) for backoff jitter; default Math.random. */
  random?: Random;
  userAgent?: string;
}

/** `https://host/` and `https://host/api/v1/` both become `https://host/api/v1`. */
function apiBaseOf(baseUrl: string): string {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new TypeError(`baseUrl must be an absolute http(s) URL such as https://jiema.my; got ${JSON.stringify(baseUrl)}.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(`baseUrl must use http or https; got ${url.protocol}`);
  const path = url.pathname.replace(/\/+$/, '');
  return `${url.origin}${path.endsWith('/api/v1') ? path : `${path}/api/v1`}`;
}

function pacerOf(pacing: JiemaClientOptions['pacing'], clock: Clock): RatePacer | undefined {
  if (pacing === false) return undefined;
  if (pacing instanceof RatePacer) return pacing;
  return new RatePacer(clock, pacing === true || pacing === undefined ? {} : pacing);
}

export function resolveOptions(options: JiemaClientOptions): RequesterConfig {
  const clock = options.clock ?? systemClock;
  const fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  return {
    apiKey: checkApiKey(options.apiKey),
    apiBase: apiBaseOf(options.baseUrl ?? DEFAULT_BASE_URL),
    fetch: fetchImpl,
    clock,
    random: options.random ?? mathRandom,
    pacer: pacerOf(options.pacing, clock),
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    totalTimeoutMs: options.totalTimeoutMs,
    retry: { ...DEFAULT_RETRY, ...options.retry, maxRetries: options.maxRetries ?? DEFAULT_RETRY.maxRetries },
    idempotencyKeys: options.idempotencyKeys ?? true,
    userAgent: options.userAgent ?? `jiema-sdk-node/${SDK_VERSION}`,
    hooks: { onRequest: options.onRequest, onResponse: options.onResponse, onRetry: options.onRetry },
  };
}
