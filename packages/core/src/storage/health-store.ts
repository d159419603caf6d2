/**
 * Whether the storage answers at all (docs/decisions.md D125): the liveness check's one read.
 */
import type { Db } from './database.js';

export interface HealthStore {
  /** True when the storage answers a trivial read; throws when it cannot be reached. */
  ping(): boolean;
}

export class SqliteHealthStore implements HealthStore {
  private readonly pingStmt;

  constructor(db: Db) {
    this.pingStmt = db.prepare<[], number>('SELECT 1').pluck();
  }

  ping(): boolean {
    return this.pingStmt.get() !== undefined;
  }
}
