/**
 * Notices commits made by other processes on the same database file (SQLite's data_version), for
 * in-memory caches of rows this process otherwise keeps up to date itself. Looked at most every
 * `intervalMs`: each look is a read transaction, two file-lock syscalls, on hot paths.
 */
import type { Clock } from '../ports/clock.js';
import type { Db } from './database.js';

export class ChangeWatch {
  private readonly stmt;
  private version = -1;
  private checkedAt = -Infinity;
  private readonly listeners: Array<() => void> = [];

  constructor(
    db: Db,
    private readonly clock: Clock,
    private readonly intervalMs = 100,
  ) {
    this.stmt = db.prepare<[], number>('PRAGMA data_version').pluck();
  }

  /** Called when another process committed; caches clear themselves. */
  onForeignCommit(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** Looks for a foreign commit if the last look is older than the interval. */
  poll(): void {
    const now = this.clock.now();
    if (now - this.checkedAt < this.intervalMs && now >= this.checkedAt) return;
    this.checkedAt = now;
    const v = this.stmt.get()!;
    if (v !== this.version) {
      this.version = v;
      for (const l of this.listeners) l();
    }
  }
}
