/**
 * The Clock port: the only source of "now" for the engine. Production uses the system clock,
 * tests and the simulator a clock they move themselves, so every expiry, rate-limit window,
 * outbox retry and log timestamp follows the same time.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. Must never go backwards within one process. */
  now(): number;
}

export const systemClock: Clock = {
  now: () => Date.now(),
};

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
}
