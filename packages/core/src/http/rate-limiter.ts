/**
 * Exact sliding-window rate limits (docs/decisions.md D16): for each key and class, the times of the
 * requests accepted in the last window. A request is accepted while fewer than `limit` remain in
 * it; refused requests are not counted. Time comes from the injected clock.
 */
import type { Clock } from '../ports/clock.js';

export type RateClass = 'read' | 'write' | 'poll' | 'auth_failure';

export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until a slot frees (or the window is empty, when nothing was used). */
  resetSeconds: number;
  windowSeconds: number;
}

class Window {
  times: number[] = [];
  head = 0;
  prune(cutoff: number): void {
    while (this.head < this.times.length && this.times[this.head]! <= cutoff) this.head += 1;
    if (this.head > 64 && this.head * 2 > this.times.length) {
      this.times = this.times.slice(this.head);
      this.head = 0;
    }
  }
  get size(): number {
    return this.times.length - this.head;
  }
}

export class SlidingWindowLimiter {
  private readonly windows = new Map<string, Window>();
  private calls = 0;

  constructor(
    private readonly clock: Clock,
    readonly limit: number,
    readonly windowMs = 60_000,
  ) {}

  /** Counts one request for `key` if the window has room. */
  hit(key: string): RateDecision {
    return this.decide(key, true);
  }

  /** Looks without counting. */
  peek(key: string): RateDecision {
    return this.decide(key, false);
  }

  private decide(key: string, count: boolean): RateDecision {
    const now = this.clock.now();
    if (++this.calls % 10_000 === 0) this.sweep(now);
    let w = this.windows.get(key);
    if (!w) {
      if (!count) return this.decision(true, 0, undefined, now);
      w = new Window();
      this.windows.set(key, w);
    }
    w.prune(now - this.windowMs);
    const allowed = w.size < this.limit;
    if (allowed && count) w.times.push(now);
    return this.decision(allowed, w.size, w.times[w.head], now);
  }

  private decision(allowed: boolean, used: number, oldest: number | undefined, now: number): RateDecision {
    const windowSeconds = Math.ceil(this.windowMs / 1000);
    const resetSeconds = oldest === undefined ? 0 : Math.max(1, Math.ceil((oldest + this.windowMs - now) / 1000));
    return { allowed, limit: this.limit, remaining: Math.max(0, this.limit - used), resetSeconds, windowSeconds };
  }

  /** Drops windows with nothing left in them, so idle keys cost no memory. */
  private sweep(now: number): void {
    for (const [key, w] of this.windows) {
      w.prune(now - this.windowMs);
      if (w.size === 0) this.windows.delete(key);
    }
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

export class RateLimits {
  readonly byClass: Record<RateClass, SlidingWindowLimiter>;
  constructor(clock: Clock, config: RateLimitConfig = DEFAULT_RATE_LIMITS) {
    this.byClass = {
      read: new SlidingWindowLimiter(clock, config.readPerMin),
      write: new SlidingWindowLimiter(clock, config.writePerMin),
      poll: new SlidingWindowLimiter(clock, config.pollPerMin),
      auth_failure: new SlidingWindowLimiter(clock, config.authFailuresPerMin),
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
