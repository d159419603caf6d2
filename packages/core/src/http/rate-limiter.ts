/**
 * Exact sliding-window rate limits (docs/decisions.md D16): for each key and class, the times of the
 * requests accepted in the last window. A request is accepted while fewer than `limit` remain in
 * it; refused requests are not counted. Time comes from the injected clock. The windows live in a
 * RateWindowStore: in memory, or in PostgreSQL for many instances (docs/decisions.md D129).
 */
import type { Clock } from '../ports/clock.js';
import { MemoryRateWindowStore, type RateWindowStore, type RateWindowState } from './rate-window-store.js';

export type RateClass = 'read' | 'write' | 'poll' | 'auth_failure';

export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until a slot frees (or the window is empty, when nothing was used). */
  resetSeconds: number;
  windowSeconds: number;
}

/** One class of limits: `limit` hits per window for each key, counted in a RateWindowStore. */
export class SlidingWindowLimiter {
  /**
   * @param store where the windows live: by default this limiter's own, in memory.
   * @param scope prefixes the keys, so limiters of several classes can share one store.
   */
  constructor(
    private readonly clock: Clock,
    readonly limit: number,
    readonly windowMs = 60_000,
    private readonly store: RateWindowStore = new MemoryRateWindowStore(),
    private readonly scope = '',
  ) {}

  /** Counts one request for `key` if the window has room. */
  hit(key: string): RateDecision {
    const now = this.clock.now();
    return this.decision(this.store.hit(this.scope + key, now, this.windowMs, this.limit), now);
  }

  /** Looks without counting. */
  peek(key: string): RateDecision {
    const now = this.clock.now();
    return this.decision(this.store.peek(this.scope + key, now, this.windowMs, this.limit), now);
  }

  private decision(w: RateWindowState, now: number): RateDecision {
    const windowSeconds = Math.ceil(this.windowMs / 1000);
    const resetSeconds = w.oldest === undefined ? 0 : Math.max(1, Math.ceil((w.oldest + this.windowMs - now) / 1000));
    return { allowed: w.allowed, limit: this.limit, remaining: Math.max(0, this.limit - w.used), resetSeconds, windowSeconds };
  }
}

export interface RateLimitConfig {
  readPerMin: number;
  writePerMin: number;
  pollPerMin: number;
  /** Failed authentications allowed per client address per minute. */
  authFailuresPerMin: number;
}

export const DEFAULT_RATE_LIMITS: RateLimitConfig = { readPerMin: 60, writePerMin: 10, pollPerMin: 300, authFailuresPerMin: 30 };

/**
 * The four classes of limits, in one store: the engine's (`engine.stores.rateWindows`), so that on
 * PostgreSQL every instance counts in the same windows (docs/decisions.md D129); by default one of
 * their own, in memory.
 */
export class RateLimits {
  readonly byClass: Record<RateClass, SlidingWindowLimiter>;
  constructor(clock: Clock, config: RateLimitConfig = DEFAULT_RATE_LIMITS, store: RateWindowStore = new MemoryRateWindowStore()) {
    const limiter = (cls: RateClass, limit: number) => new SlidingWindowLimiter(clock, limit, 60_000, store, `${cls}:`);
    this.byClass = {
      read: limiter('read', config.readPerMin),
      write: limiter('write', config.writePerMin),
      poll: limiter('poll', config.pollPerMin),
      auth_failure: limiter('auth_failure', config.authFailuresPerMin),
    };
  }
}

/** IETF RateLimit header fields (draft-ietf-httpapi-ratelimit-headers): policy and current state. */
export function rateLimitHeaders(cls: RateClass, d: RateDecision): Record<string, string> {
  return {
    'RateLimit-Policy': `"${cls}";q=${d.limit};w=${d.windowSeconds}`,
    RateLimit: `"${cls}";r=${d.remaining};t=${d.resetSeconds}`,
  };
}
