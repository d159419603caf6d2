/**
 * Where the rate limiter's sliding windows live (docs/decisions.md D16, D129). Each window is the
 * times of the requests accepted for one key in the last `windowMs`; a hit is accepted while fewer
 * than `limit` remain in it, and a refused hit is not counted.
 *
 * SQLite serves one process per file, so its windows stay in memory (MemoryRateWindowStore), as
 * before. On PostgreSQL many instances share the database, so the windows live in it
 * (PostgresRateWindowStore, table rate_windows): a hit is one autocommit statement, an upsert whose
 * row lock serialises concurrent hits on a key, so the count is exact across instances. It is not
 * a write transaction of the engine and never takes the schema's write lock.
 */
import type { Db } from '../storage/database.js';

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
const PRUNE_EVERY = 10_000;

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

/** The statement's parameters, each cast once so PostgreSQL infers one type for each. */
const PARAMS = 'SELECT CAST(@now AS bigint) AS now, CAST(@windowMs AS bigint) AS win, CAST(@limit AS bigint) AS lim';

/**
 * One hit, in one round trip. A new key gets a row; an existing one drops the hits that left the
 * window and appends this one if fewer than the limit remain. ON CONFLICT DO UPDATE locks the row,
 * so concurrent hits on one key, from any instance, are applied one after the other, each on what
 * the previous left. `allowed` records whether this hit was counted (RETURNING sees only the new row).
 * The times come from the instances' clocks; the oldest is the smallest, whatever order they came in.
 */
export const RATE_HIT_SQL = `
INSERT INTO rate_windows AS w (key, hits, allowed, expires_at)
SELECT @key, CASE WHEN p.lim > 0 THEN ARRAY[p.now] ELSE '{}' END, p.lim > 0, p.now + CASE WHEN p.lim > 0 THEN p.win ELSE 0 END
FROM (${PARAMS}) p
ON CONFLICT (key) DO UPDATE SET (hits, allowed, expires_at) = (
  SELECT CASE WHEN cardinality(k.kept) < p.lim THEN k.kept || p.now ELSE k.kept END,
    cardinality(k.kept) < p.lim,
    CASE WHEN cardinality(k.kept) < p.lim THEN greatest(w.expires_at, p.now + p.win) ELSE w.expires_at END
  FROM (${PARAMS}) p,
    LATERAL (SELECT ARRAY(SELECT t FROM unnest(w.hits) AS t WHERE t > p.now - p.win) AS kept) k
)
RETURNING allowed, cardinality(hits) AS used, (SELECT min(t) FROM unnest(hits) AS t) AS oldest`;

const RATE_PEEK_SQL = `
SELECT
  (SELECT count(*) FROM unnest(hits) AS t WHERE t > CAST(@cutoff AS bigint)) AS used,
  (SELECT min(t) FROM unnest(hits) AS t WHERE t > CAST(@cutoff AS bigint)) AS oldest
FROM rate_windows WHERE key = @key`;

interface Row {
  allowed?: number | boolean;
  used: number;
  oldest: number | null;
}

/** The windows of every instance on one PostgreSQL schema (migration 7's rate_windows). */
export class PostgresRateWindowStore implements RateWindowStore {
  private readonly hitStmt;
  private readonly peekStmt;
  private readonly pruneStmt;
  private calls = 0;

  constructor(db: Db) {
    this.hitStmt = db.prepare<[{ key: string; now: number; windowMs: number; limit: number }], Row>(RATE_HIT_SQL);
    this.peekStmt = db.prepare<[{ key: string; cutoff: number }], Row>(RATE_PEEK_SQL);
    this.pruneStmt = db.prepare<[number]>('DELETE FROM rate_windows WHERE expires_at <= ?');
  }

  hit(key: string, now: number, windowMs: number, limit: number): RateWindowState {
    if (++this.calls % PRUNE_EVERY === 0) this.prune(now);
    const r = this.hitStmt.get({ key, now, windowMs, limit })!;
    return { allowed: r.allowed === 1 || r.allowed === true, used: r.used, oldest: r.oldest ?? undefined };
  }

  peek(key: string, now: number, windowMs: number, limit: number): RateWindowState {
    const r = this.peekStmt.get({ key, cutoff: now - windowMs });
    const used = r?.used ?? 0;
    return { allowed: used < limit, used, oldest: r?.oldest ?? undefined };
  }

  prune(now: number): number {
    return this.pruneStmt.run(now).changes;
  }
}
