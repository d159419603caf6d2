/**
 * Where the rate limiter's sliding windows live (docs/decisions.md D16, D129). Each window is the
 * times of the requests accepted for one key in the last `windowMs`; a hit is accepted while fewer
 * than `limit` remain in it, and a refused hit is not counted.
 *
 * SQLite serves one process per file, so its windows stay in memory (MemoryRateWindowStore), exact,
 * as before. On PostgreSQL many instances share the database, so the windows live in it
 * (PostgresRateWindowStore, table rate_windows): one autocommit upsert whose row lock serialises
 * concurrent calls on a key, so the count holds across instances. It is not a write transaction of
 * the engine and never takes the schema's write lock. Under a small limit (≤ EXACT_UP_TO) every hit
 * is one such statement and the window is exact, as in memory. Under a larger one the window is
 * bounded (hits close in time share an entry, whose time only moves later) and each instance takes
 * hits from it in leases: several at once, used locally for a short while, so a busy key costs a
 * round trip now and then instead of one per request. Both only ever count a hit earlier or for
 * longer than it happened, never less, so no key is admitted beyond its limit in any window
 * (postgres-rate-window-store.ts).
 */

/** A key's window after a hit or a look. */
export interface RateWindowState {
  /** Whether the hit was counted (for a look: whether one would be). */
  allowed: boolean;
  /** Hits in the window, the counted one included. */
  used: number;
  /** The time of the oldest hit in the window; undefined when it is empty. */
  oldest: number | undefined;
}

export interface RateWindowStore {
  /** Counts a hit at `now` for `key` if fewer than `limit` hits lie in (now − windowMs, now]. */
  hit(key: string, now: number, windowMs: number, limit: number): RateWindowState;
  /** Looks without counting. */
  peek(key: string, now: number, windowMs: number, limit: number): RateWindowState;
  /** Forgets the keys whose windows are empty at `now`; answers how many. Hits call it now and then. */
  prune(now: number): number;
}

/** How many hits between two prunes of idle keys. */
export const PRUNE_EVERY = 10_000;

class Window {
  times: number[] = [];
  head = 0;
  /** When the newest hit leaves the window. */
  expiresAt = 0;
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

/** The windows of one process, in memory: SQLite's, and any limiter's of its own (the simulator's façades). */
export class MemoryRateWindowStore implements RateWindowStore {
  private readonly windows = new Map<string, Window>();
  private calls = 0;

  hit(key: string, now: number, windowMs: number, limit: number): RateWindowState {
    return this.decide(key, now, windowMs, limit, true);
  }

  peek(key: string, now: number, windowMs: number, limit: number): RateWindowState {
    return this.decide(key, now, windowMs, limit, false);
  }

  prune(now: number): number {
    let dropped = 0;
    for (const [key, w] of this.windows) {
      if (w.expiresAt <= now) {
        this.windows.delete(key);
        dropped += 1;
      }
    }
    return dropped;
  }

  private decide(key: string, now: number, windowMs: number, limit: number, count: boolean): RateWindowState {
    if (++this.calls % PRUNE_EVERY === 0) this.prune(now);
    let w = this.windows.get(key);
    if (!w) {
      if (!count) return { allowed: limit > 0, used: 0, oldest: undefined };
      w = new Window();
      this.windows.set(key, w);
    }
    w.prune(now - windowMs);
    const allowed = w.size < limit;
    if (allowed && count) {
      w.times.push(now);
      w.expiresAt = Math.max(w.expiresAt, now + windowMs);
    }
    return { allowed, used: w.size, oldest: w.times[w.head] };
  }
}
