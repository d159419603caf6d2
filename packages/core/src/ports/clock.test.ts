import { describe, expect, it } from 'vitest';
import { MonotonicClock } from './clock.js';

describe('MonotonicClock', () => {
  const make = () => {
    const t = { wall: 1_000_000, steady: 5_000 };
    return {
      t,
      clock: new MonotonicClock(
        () => t.wall,
        () => t.steady,
      ),
    };
  };

  it('follows the wall clock forward', () => {
    const { t, clock } = make();
    t.wall += 1_500;
    t.steady += 1_500;
    expect(clock.now()).toBe(1_001_500);
    t.wall += 60_000; // stepped forward
    t.steady += 10;
    expect(clock.now()).toBe(1_061_500);
  });

  it('keeps counting at the steady rate when the wall clock is stepped back, until it catches up', () => {
    const { t, clock } = make();
    expect(clock.now()).toBe(1_000_000);
    t.wall -= 3_600_000; // an hour back
    t.steady += 250;
    expect(clock.now()).toBe(1_000_250);
    t.steady += 750;
    t.wall += 1_000;
    expect(clock.now()).toBe(1_001_000);
    t.wall = 1_010_000; // caught up and past
    t.steady += 10;
    expect(clock.now()).toBe(1_010_000);
  });

  it('never reports a time before notBefore(), and keeps moving from there', () => {
    const { t, clock } = make();
    clock.notBefore(2_000_000);
    expect(clock.now()).toBe(2_000_000);
    t.steady += 30;
    t.wall += 30;
    expect(clock.now()).toBe(2_000_030);
    clock.notBefore(10); // already past: no effect
    expect(clock.now()).toBe(2_000_030);
  });
});
