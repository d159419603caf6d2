/**
 * Opens the engine's PostgreSQL connection (docs/decisions.md D127): connects, refuses a schema
 * written by a newer version, and applies the migrations the schema lacks — each in its own
 * transaction, instances starting together taking turns on the schema's migration lock (D122).
 */
import { checkPostgresUrl, MIGRATION_SQL, migrationRecord, pendingMigrations } from './postgres.js';
import { SyncPostgresClient, type SyncPostgresOptions } from './sync-client.js';
import type { Db } from '../database.js';
import { PostgresDb } from './postgres-db.js';

export function openPostgres(url: string, options: SyncPostgresOptions = {}): SyncPostgresClient {
  checkPostgresUrl(url);
  const client = new SyncPostgresClient(url, options);
  try {
    migrateSync(client);
  } catch (err) {
    client.close();
    throw err;
  }
  return client;
}

/**
 * The same, as a database to hand to createEngine and createStores (`db`) that outlives the
 * engines built on it: the simulator's, kept across its resets.
 */
export function openPostgresDb(url: string, options: SyncPostgresOptions = {}): Db {
  return new PostgresDb(openPostgres(url, options)).asDb();
}

function migrateSync(client: SyncPostgresClient): number {
  client.query(MIGRATION_SQL.lock);
  try {
    client.query(MIGRATION_SQL.createTable);
    const applied = client.query<{ version: string }>(MIGRATION_SQL.appliedAsText).rows.map((r) => Number(r.version));
    const pending = pendingMigrations(applied);
    for (const m of pending) {
      client.query('BEGIN');
      try {
        client.query(m.postgres);
        client.query(MIGRATION_SQL.record, migrationRecord(m));
        client.query('COMMIT');
      } catch (err) {
        try {
          client.query('ROLLBACK');
        } catch {
          // the connection is gone; PostgreSQL rolled back
        }
        throw err;
      }
    }
    return pending.length;
  } finally {
    try {
      client.query(MIGRATION_SQL.unlock);
    } catch {
      // the lock goes with the session
    }
  }
}
