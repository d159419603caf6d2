/** Reading Retry-After and the IETF RateLimit fields the server sends (D16). */
import { describe, expect, it } from 'vitest';
import { parseRateLimit, parseRateLimitPolicy, parseRetryAfter } from '../src/http/rate-limit-headers.js';

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);

describe('rate-limit headers', () => {
  it('reads Retry-After as seconds or as an HTTP date relative to now, and ignores garbage', () => {
    expect(parseRetryAfter('7', NOW)).toBe(7_000);
    expect(parseRetryAfter(new Date(NOW + 30_000).toUTCString(), NOW)).toBe(30_000);
    expect(parseRetryAfter(new Date(NOW - 30_000).toUTCString(), NOW)).toBe(0);
    expect(parseRetryAfter('soon', NOW)).toBeUndefined();
    expect(parseRetryAfter(null, NOW)).toBeUndefined();
  });

  it('reads the quota and window of RateLimit-Policy, and the remaining count and reset of RateLimit', () => {
    expect(parseRateLimitPolicy('"poll";q=300;w=60')).toEqual({ quota: 300, windowMs: 60_000 });
    expect(parseRateLimitPolicy('"poll";w=60')).toBeUndefined();
    expect(parseRateLimit('"write";r=0;t=42')).toEqual({ remaining: 0, resetMs: 42_000 });
    expect(parseRateLimit('"write";r=3')).toEqual({ remaining: 3, resetMs: 0 });
    expect(parseRateLimit('nonsense')).toBeUndefined();
  });
});
