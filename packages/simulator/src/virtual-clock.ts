/**
 * The simulator's clock: real time (the default for a local server), manual (moves only when
 * told), or accelerated (×N). Every time-based thing in the simulator — SMS delays, expiry,
 * rate-limit windows, outbox retries, log timestamps — reads this one clock.
 */
import { systemClock, type Clock } from '@jiema/core';

export type ClockMode = 'real' | 'manual' | 'accelerated';

export interface ClockSpec {
  mode: ClockMode;
  /** ×N for accelerated mode; 1 otherwise. */
  speed?: number;
  /** The virtual time to start at (ms). Default: now for real time, 2026-01-01T00:00Z otherwise. */
  startAt?: number;
}

/** Parses "real", "manual" or "<N>x" (e.g. "60x"). */
export function parseClockSpec(text: string): ClockSpec {
  if (text === 'real' || text === 'manual') return { mode: text };
  const m = /^(\d+(?:\.\d+)?)x$/.exec(text);
  if (m && Number(m[1]) > 0) return { mode: 'accelerated', speed: Number(m[1]) };
  throw new Error(`A clock is "real", "manual" or a speed like "60x"; got ${JSON.stringify(text)}.`);
}

export class VirtualClock implements Clock {
  readonly mode: ClockMode;
  readonly speed: number;
  private anchorVirtual: number;
  private anchorReal: number;
  private last: number;

  constructor(spec: ClockSpec = { mode: 'manual' }) {
    this.mode = spec.mode;
    this.speed = spec.mode === 'accelerated' ? (spec.speed ?? 1) : 1;
    if (!(this.speed > 0)) throw new RangeError('the clock speed must be positive');
    // Real time from the process's monotonic wall clock: a system clock stepped back does not stop virtual time.
    this.anchorReal = systemClock.now();
    this.anchorVirtual = spec.startAt ?? (spec.mode === 'real' ? this.anchorReal : Date.UTC(2026, 0, 1));
    this.last = this.anchorVirtual;
  }

  now(): number {
    const t = this.mode === 'manual' ? this.anchorVirtual : this.anchorVirtual + (systemClock.now() - this.anchorReal) * this.speed;
    // Never backwards, even if the system clock is stepped back.
    this.last = Math.max(this.last, Math.floor(t));
    return this.last;
  }

  /** Never earlier than `at` again (what a database from an earlier run holds). */
  notBefore(at: number): void {
    this.moveTo(at);
  }

  /** Moves virtual time forward to `at` (no-op if it is already past). */
  moveTo(at: number): void {
    const now = this.now();
    if (at <= now) return;
    this.anchorVirtual += at - now;
    this.last = at;
  }
}
