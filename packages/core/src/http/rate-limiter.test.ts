import { describe, expect, it } from 'vitest';
import { ManualClock } from '../ports/clock.js';
import { SlidingWindowLimiter } from './rate-limiter.js';

describe('SlidingWindowLimiter', () => {
  it('allows exactly the limit within any 60 s window and frees slots as they age out', () => {
    const clock = new ManualClock();
    const lim = new SlidingWindowLimiter(clock, 10);
    for (let i = 0; i < 10; i++) {
      expect(lim.hit('k').allowed).toBe(true);
      clock.advance(1_000);
    }
    const refused = lim.hit('k');
    expect(refused.allowed).toBe(false);
    expect(refused.remaining).toBe(0);
    expect(refused.resetSeconds).toBe(50); // the first request, at t=0, leaves the window at t=60 s
    clock.advance(49_999);
    expect(lim.hit('k').allowed).toBe(false);
    clock.advance(1);
    expect(lim.hit('k').allowed).toBe(true);
    expect(lim.hit('k').allowed).toBe(false);
  });

  it('does not count refused requests, and keeps keys apart', () => {
    const clock = new ManualClock();
    const lim = new SlidingWindowLimiter(clock, 2);
    lim.hit('a');
    lim.hit('a');
    for (let i = 0; i < 50; i++) lim.hit('a');
    expect(lim.hit('b').allowed).toBe(true);
    clock.advance(60_000);
    expect(lim.hit('a').remaining).toBe(1);
  });
});
