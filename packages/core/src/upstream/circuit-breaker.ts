/**
 * A circuit breaker on the injected clock. After `failureThreshold` failures in a row it opens:
 * calls are refused at once, without touching the network. After `cooldownMs` it lets one trial
 * call through (half-open); the trial's success closes it, its failure opens it again.
 */
import type { Clock } from '../ports/clock.js';

export interface BreakerOptions {
  /** Consecutive failed calls that open the circuit. Default 5. */
  failureThreshold?: number;
  /** How long it stays open before a trial call. Default 30 s. */
  cooldownMs?: number;
}

export type BreakerState = 'closed' | 'open' | 'half-open';

export class CircuitBreaker {
  private current: BreakerState = 'closed';
  private failures = 0;
  private openedAt = 0;
  private trialInFlight = false;
  readonly failureThreshold: number;
  readonly cooldownMs: number;

  constructor(
    private readonly clock: Clock,
    options: BreakerOptions = {},
  ) {
    this.failureThreshold = Math.max(1, options.failureThreshold ?? 5);
    this.cooldownMs = Math.max(0, options.cooldownMs ?? 30_000);
  }

  /** The state now; an open circuit whose cooldown is over reads as half-open. */
  get state(): BreakerState {
    if (this.current === 'open' && this.clock.now() >= this.openedAt + this.cooldownMs) return 'half-open';
    return this.current;
  }

  get consecutiveFailures(): number {
    return this.failures;
  }

  /** When an open circuit will let a trial through (ms). */
  get retryAt(): number {
    return this.openedAt + this.cooldownMs;
  }

  /**
   * Asks to make a call. False when the circuit is open, or half-open with its one trial
   * already in flight. A true answer must be followed by `success()` or `failure()`.
   */
  admit(): boolean {
    const state = this.state;
    if (state === 'closed') return true;
    if (state === 'open' || this.trialInFlight) return false;
    this.current = 'half-open';
    this.trialInFlight = true;
    return true;
  }

  /** The call was answered (a business refusal counts: the upstream is alive). Returns true when this closed the circuit. */
  success(): boolean {
    const wasOpen = this.current !== 'closed';
    this.current = 'closed';
    this.failures = 0;
    this.trialInFlight = false;
    return wasOpen;
  }

  /** The call failed (unreachable, timed out, unreadable). Returns true when this opened the circuit. */
  failure(): boolean {
    this.failures += 1;
    const trial = this.current === 'half-open';
    this.trialInFlight = false;
    if (trial || (this.current === 'closed' && this.failures >= this.failureThreshold)) {
      this.current = 'open';
      this.openedAt = this.clock.now();
      return true;
    }
    return false;
  }
}
