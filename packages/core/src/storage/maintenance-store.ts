/**
 * Whole-database work that belongs to no one aggregate (docs/decisions.md D125): the simulator's
 * reset (D43) and the latest moment the data records, which a restarted engine continues from (D41).
 */
import type { Db } from './database.js';
import { latestInstant } from './latest-instant.js';
import { wipeData } from './wipe.js';

export interface MaintenanceStore {
  /** Empties every table in one transaction; settings keep only `keepSettings`, operators' console sign-ins stay (D43). */
  wipe(keepSettings: readonly string[]): void;
  /** The newest instant (ms) in the rows and in the ids, each undefined for an empty database. */
  latestInstant(): { at: number | undefined; idAt: number | undefined };
}

export class SqliteMaintenanceStore implements MaintenanceStore {
  constructor(private readonly db: Db) {}

  wipe(keepSettings: readonly string[]): void {
    wipeData(this.db, keepSettings);
  }

  latestInstant(): { at: number | undefined; idAt: number | undefined } {
    return latestInstant(this.db);
  }
}
