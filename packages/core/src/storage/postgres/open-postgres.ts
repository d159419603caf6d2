/**
 * Opens the engine's PostgreSQL connection (docs/decisions.md D127): connects, refuses a schema
 * written by a newer version, and applies the migrations the schema lacks — each in its own
 * transaction, instances starting together taking turns on the schema's migration lock (D122).
 */
import { MIGRATIONS } from '../migrations.js';
import { checkPostgresUrl, PostgresError } from './postgres.js';
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
  const lockKey = "hashtext('jiema.migrate:' || current_schema())";
  client.query(`SELECT pg_advisory_lock(${lockKey})`);
  try {
    client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
    const applied = new Set(client.query<{ version: number }>('SELECT version FROM schema_migrations').rows.map((r) => r.version));
    const known = Math.max(...MIGRATIONS.map((m) => m.version));
    const newest = Math.max(0, ...applied);
    if (newest > known)
      throw new PostgresError(
        `This database was written by a newer jiema (schema ${newest}; this one knows up to ${known}). Use that version.`,
      );
    let count = 0;
    for (const m of MIGRATIONS) {
      if (applied.has(m.version)) continue;
      client.query('BEGIN');
      try {
        client.query(m.postgres);
        client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
          m.version,
          m.name,
          new Date().toISOString(),
        ]);
        client.query('COMMIT');
      } catch (err) {
        try {
          client.query('ROLLBACK');
        } catch {
          // the connection is gone; PostgreSQL rolled back
        }
        throw err;
      }
      count += 1;
    }
    return count;
  } finally {
    try {
      client.query(`SELECT pg_advisory_unlock(${lockKey})`);
    } catch {
      // the lock goes with the session
    }
  }
}
