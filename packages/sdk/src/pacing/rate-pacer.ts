/**
 * Client-side pacing: keeps a key under its limits so callers queue instead of collecting 429s.
 * One budget per rate class (read, write, poll), each an exact sliding window like the
 * server's (D16). Share one RatePacer between every client that uses the same key.
 *
 * A request holds a slot from the moment it is sent until it completes, and is then stamped
 * with its completion time. The server stamps it on arrival, which is earlier, so the client's
 * window is never behind the server's. The server's answers tighten the budget further: a
 * lower `RateLimit-Policy` quota, `RateLimit: r=0;t=N` and a 429's `Retry-After` all hold the
 * class until the server says a slot is free.
 */
import type { Clock } from '../ports/clock.js';
import { parseRateLimit, parseRateLimitPolicy } from '../http/rate-limit-headers.js';

export const RATE_CLASSES = ['read', 'write', 'poll'] as const;
export type RateClass = (typeof RATE_CLASSES)[number];

export interface ClassLimit {
  /** Requests allowed per window. */
  limit: number;
  windowMs: number;
}

/** The limits jiema documents per key (D16): writes 10/min, reads 60/min, order polls 300/min. */
export const DOCUMENTED_LIMITS: Readonly<Record<RateClass, ClassLimit>> = {
  read: { limit: 60, windowMs: 60_000 },
  write: { limit: 10, windowMs: 60_000 },
  poll: { limit: 300, windowMs: 60_000 },
};

export interface RatePacerOptions {
  /** Per-class limits; default DOCUMENTED_LIMITS. A server that advertises lower ones wins. */
  limits?: Partial<Record<RateClass, Partial<ClassLimit>>>;
}

/** What a completed request tells the pacer. */
export interface PermitOutcome {
  /** False when the request certainly never reached the server, or the server refused it unseen (429). */
  counted: boolean;
  headers?: Headers | undefined;
  /** How long the server asked to wait, after a 429. */
  retryAfterMs?: number | undefined;
}

export interface Permit {
  /** Call exactly once, when the request has completed (or failed). */
  release(outcome: PermitOutcome): void;
}

interface Waiter {
  grant(permit: Permit): void;
}

class Budget {
  inflight = 0;
  readonly stamps: number[] = [];
  blockedUntil = 0;
  learned: ClassLimit | undefined;
  readonly queue: Waiter[] = [];
  timer: AbortController | undefined;
  constructor(readonly configured: ClassLimit) {}

  get limit(): number {
    return Math.min(this.configured.limit, this.learned?.limit ?? Infinity);
  }
  get windowMs(): number {
    return Math.max(this.configured.windowMs, this.learned?.windowMs ?? 0);
  }
  prune(now: number): void {
    while (this.stamps.length > 0 && this.stamps[0]! <= now - this.windowMs) this.stamps.shift();
  }
  canGrant(now: number): boolean {
    return now >= this.blockedUntil && this.inflight + this.stamps.length < this.limit;
  }
  /** When a slot frees by time alone; undefined when only a completion can free one. */
  wakeAt(now: number): number | undefined {
    if (now < this.blockedUntil) return this.blockedUntil;
    return this.stamps.length > 0 ? this.stamps[0]! + this.windowMs : undefined;
  }
}

export class RatePacer {
  private readonly budgets: Record<RateClass, Budget>;

  constructor(
    private readonly clock: Clock,
    options: RatePacerOptions = {},
  ) {
    const make = (c: RateClass): Budget => new Budget({ ...DOCUMENTED_LIMITS[c], ...options.limits?.[c] });
    this.budgets = { read: make('read'), write: make('write'), poll: make('poll') };
  }

  /** Waits (in FIFO order per class) until a request of this class may be sent. */
  acquire(cls: RateClass, signal?: AbortSignal): Promise<Permit> {
    const budget = this.budgets[cls];
    return new Promise<Permit>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const onAbort = (): void => {
        const i = budget.queue.indexOf(waiter);
        if (i >= 0) budget.queue.splice(i, 1);
        reject(signal!.reason);
        this.pump(budget);
      };
      const waiter: Waiter = {
        grant: (permit) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(permit);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      budget.queue.push(waiter);
      this.pump(budget);
    });
  }

  /** The current state of one class, for tests and metrics. */
  snapshot(cls: RateClass): { limit: number; windowMs: number; inflight: number; used: number; queued: number; blockedForMs: number } {
    const b = this.budgets[cls];
    const now = this.clock.now();
    b.prune(now);
    return {
      limit: b.limit,
      windowMs: b.windowMs,
      inflight: b.inflight,
      used: b.stamps.length,
      queued: b.queue.length,
      blockedForMs: Math.max(0, b.blockedUntil - now),
    };
  }

  private permit(budget: Budget): Permit {
    let released = false;
    return {
      release: (outcome) => {
        if (released) return;
        released = true;
        budget.inflight -= 1;
        const now = this.clock.now();
        if (outcome.counted) budget.stamps.push(now);
        this.learn(budget, outcome, now);
        this.pump(budget);
      },
    };
  }

  private learn(budget: Budget, outcome: PermitOutcome, now: number): void {
    const headers = outcome.headers;
    const policy = parseRateLimitPolicy(headers?.get('ratelimit-policy') ?? null);
    if (policy) budget.learned = { limit: policy.quota, windowMs: policy.windowMs };
    const state = parseRateLimit(headers?.get('ratelimit') ?? null);
    if (state && state.remaining <= 0) budget.blockedUntil = Math.max(budget.blockedUntil, now + state.resetMs);
    if (outcome.retryAfterMs !== undefined) budget.blockedUntil = Math.max(budget.blockedUntil, now + outcome.retryAfterMs);
  }

  private pump(budget: Budget): void {
    const now = this.clock.now();
    budget.prune(now);
    while (budget.queue.length > 0 && budget.canGrant(now)) {
      budget.inflight += 1;
      budget.queue.shift()!.grant(this.permit(budget));
    }
    budget.timer?.abort();
    budget.timer = undefined;
    if (budget.queue.length === 0) return;
    const at = budget.wakeAt(now);
    if (at === undefined) return;
    const timer = new AbortController();
    budget.timer = timer;
    this.clock.sleep(Math.max(1, at - now), timer.signal).then(
      () => {
        if (budget.timer === timer) budget.timer = undefined;
        this.pump(budget);
      },
      () => undefined,
    );
  }
}
