/**
 * Who may use the upstream-protocol facades: the facade key, compared in constant time, and — as
 * for API keys — failed attempts counted per client address, so a client that keeps guessing is
 * answered 429 after 30 failures a minute while the right key always works (docs/decisions.md D44).
 */
import { systemClock } from '@jiema/core';
import { secretMatches, hashSecret, SlidingWindowLimiter } from '@jiema/core/http';

export type FacadeAuth =
  { ok: true } | { ok: false; reason: 'missing' | 'invalid' } | { ok: false; reason: 'throttled'; retryAfterSeconds: number };

const FACADE_FAILURES_PER_MIN = 30;

export class FacadeGuard {
  private readonly keySha256: string;
  private readonly failures = new SlidingWindowLimiter(systemClock, FACADE_FAILURES_PER_MIN);

  constructor(apiKey: string) {
    this.keySha256 = hashSecret(apiKey);
  }

  check(presented: string | null | undefined, ip: string): FacadeAuth {
    if (presented && secretMatches(presented, this.keySha256)) return { ok: true };
    const d = this.failures.hit(ip);
    if (!d.allowed) return { ok: false, reason: 'throttled', retryAfterSeconds: d.resetSeconds };
    return { ok: false, reason: presented ? 'invalid' : 'missing' };
  }
}
