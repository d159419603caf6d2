/**
 * The Clock port: the only source of "now" for the engine. Production uses the system clock,
 * tests and the simulator a clock they move themselves, so every expiry, rate-limit window,
 * outbox retry and log timestamp follows the same time.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. Must never go backwards within one process. */
  now(): number;
  /**
   * Never report a time before `at` again: what a database already holds, so ids and time-based
   * order continue across a restart on a machine whose clock is behind (docs/decisions.md D41).
   * Clocks that cannot (a test's manual clock) leave it out.
   */
  notBefore?(at: number): void;
}

/**
 * Wall-clock time that never goes backwards and never stands still: it follows the system clock
 * forward, and when the system clock is stepped back (NTP, a VM restored from a snapshot) it
 * keeps counting from where it was at the rate of the monotonic clock until the wall clock
 * catches up. So rate-limit windows, expiries and retries keep moving, and ids keep their order.
 */
export class MonotonicClock implements Clock {
  private base: number;
  private mark: number;

  constructor(
    private readonly wall: () => number = () => Date.now(),
    private readonly steady: () => number = () => performance.now(),
  ) {
    this.base = wall();
    this.mark = steady();
  }

  now(): number {
    const counted = this.base + (this.steady() - this.mark);
    const w = this.wall();
    if (w > counted) {
      this.base = w;
      this.mark = this.steady();
      return Math.floor(w);
    }
    return Math.floor(counted);
  }

  notBefore(at: number): void {
    if (this.now() >= at) return;
    this.base = at;
    this.mark = this.steady();
  }
}

/** The process's clock: wall time, monotonic (see MonotonicClock). */
export const systemClock: Clock = new MonotonicClock();

/** A clock that moves only when told; for tests. */
export class ManualClock implements Clock {
  private current: number;
  constructor(startMs = Date.UTC(2026, 0, 1, 0, 0, 0)) {
    this.current = startMs;
  }
  now(): number {
    return this.current;
  }
  advance(ms: number): number {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError('advance takes a non-negative number of ms');
    this.current += ms;
    return this.current;
  }
  set(ms: number): void {
    if (ms < this.current) throw new RangeError('a clock never goes backwards');
    this.current = ms;
  }
  notBefore(at: number): void {
    if (at > this.current) this.current = at;
  }
}
