/**
 * Job locks (docs/decisions.md D128): background jobs — expiry and status sync, the outbox, buy
 * reconciliation, webhook deliveries — run on one instance at a time, whichever holds the job's
 * lock. SQLite has one process on its file, which always holds every lock. On PostgreSQL a lock is
 * a session-level advisory lock on the engine's connection, named by the job and the schema: it
 * dies with the connection, so when an instance is killed another takes its jobs over at its next
 * tick.
 *
 * Session advisory locks are re-entrant: a session that takes one twice must release it twice.
 * The store counts holds in memory and speaks to the database only for the first and the last, so
 * every acquire that said true is balanced by exactly one release.
 */
import type { Db } from './database.js';

export interface JobLockStore {
  /** Takes the job's lock if no other instance holds it; true when this instance now holds it (again). */
  tryAcquire(name: string): boolean;
  /** Gives back one hold taken by tryAcquire; the last one frees the lock for other instances. */
  release(name: string): void;
  /** Whether this instance holds the job's lock. */
  holds(name: string): boolean;
}

/** SQLite: one process holds the file (docs/decisions.md D43), so it holds every job. */
export class SqliteJobLockStore implements JobLockStore {
  private readonly held = new Map<string, number>();

  tryAcquire(name: string): boolean {
    this.held.set(name, (this.held.get(name) ?? 0) + 1);
    return true;
  }

  release(name: string): void {
    const n = (this.held.get(name) ?? 0) - 1;
    if (n > 0) this.held.set(name, n);
    else this.held.delete(name);
  }

  holds(name: string): boolean {
    return this.held.has(name);
  }
}

const KEY = "hashtext('jiema.job:' || ? || ':' || current_schema())";

/**
 * PostgreSQL: a session-level advisory lock per job and schema, on the engine's one connection.
 * The connection reconnects after a server restart or failover, and the new session holds none of
 * the old one's locks: holds counted under an earlier session are dropped (a job still running on
 * one may overlap, once, with the next holder's run: the jobs' writes are conditional and their
 * upstream commands and deliveries safe to repeat), and never unlocked on the new one.
 */
export class PostgresJobLockStore implements JobLockStore {
  private readonly held = new Map<string, number>();
  private session: number;
  private readonly tryStmt;
  private readonly unlockStmt;

  /** `sessions`: how many sessions the connection has opened so far (see SyncPostgresClient.sessions). */
  constructor(
    db: Db,
    private readonly sessions: () => number = () => 1,
  ) {
    this.session = sessions();
    // Booleans come back as 1 or 0, as on SQLite.
    this.tryStmt = db.prepare<[string], number>(`SELECT pg_try_advisory_lock(${KEY}) AS locked`).pluck();
    this.unlockStmt = db.prepare<[string], number>(`SELECT pg_advisory_unlock(${KEY}) AS unlocked`).pluck();
  }

  /** Forgets holds of a session that is gone. */
  private current(): Map<string, number> {
    const now = this.sessions();
    if (now !== this.session) {
      this.session = now;
      this.held.clear();
    }
    return this.held;
  }

  tryAcquire(name: string): boolean {
    const n = this.current().get(name) ?? 0;
    if (n === 0 && this.tryStmt.get(name) !== 1) return false;
    // The statement may itself have run on a new session: count from there.
    this.current().set(name, n === 0 ? 1 : n + 1);
    return true;
  }

  release(name: string): void {
    const held = this.current();
    const n = held.get(name) ?? 0;
    if (n === 0) return;
    if (n > 1) {
      held.set(name, n - 1);
      return;
    }
    held.delete(name);
    try {
      this.unlockStmt.get(name);
    } catch {
      // The connection is gone, and the lock with it.
    }
  }

  holds(name: string): boolean {
    return this.current().has(name);
  }
}

/**
 * Runs `job` if this instance holds (or takes) the lock `name`, releasing it when the job settles,
 * whether it resolves or throws; otherwise resolves to `skipped` at once (another instance runs it).
 */
export async function runExclusive<T>(locks: JobLockStore, name: string, skipped: T, job: () => Promise<T>): Promise<T> {
  if (!locks.tryAcquire(name)) return skipped;
  try {
    return await job();
  } finally {
    locks.release(name);
  }
}
