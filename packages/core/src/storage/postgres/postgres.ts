/**
 * PostgreSQL connections and the migration history on PostgreSQL (docs/decisions.md D120–D122).
 * The driver is node-postgres (`pg`). A database URL is `postgres://user@host:port/database`; the
 * jiema tables live in the schema the connection's search_path names first (set it with
 * `?options=-c%20search_path%3Dname`, or for the user's role), so several jiema installations, or
 * test runs, can share one PostgreSQL database without seeing each other.
 */
import pg from 'pg';
import { MIGRATIONS, type Migration } from '../migrations.js';

/** A PostgreSQL target that cannot be used: a message for the operator. */
export class PostgresError extends Error {
  override name = 'PostgresError';
}

/** The PostgreSQL server could not be reached, or refused the connection. */
export class PostgresUnreachableError extends PostgresError {
  override name = 'PostgresUnreachableError';
}

/** True for a `postgres://` or `postgresql://` URL. */
export function isPostgresUrl(value: string): boolean {
  return /^postgres(ql)?:\/\//i.test(value);
}

/** Throws a PostgresError, which never shows the URL (it may hold a password), unless `url` is a postgres:// URL that parses. */
export function checkPostgresUrl(url: string): void {
  if (!isPostgresUrl(url))
    throw new PostgresError('The database URL must start with postgres://, as in postgres://user@host:5432/database.');
  try {
    new URL(url);
  } catch {
    throw new PostgresError(
      'The database URL is not a valid URL: write postgres://user:password@host:5432/database, with special characters in the password percent-encoded.',
    );
  }
}

/** The URL without its password, to print. */
export function redactPostgresUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://…';
  }
}

/**
 * Opens one connection. BIGINT columns (cents, times in ms) come back as JavaScript numbers: every
 * value the schema stores in them is within Number.MAX_SAFE_INTEGER (docs/decisions.md D121).
 */
export async function connectPostgres(url: string): Promise<pg.Client> {
  checkPostgresUrl(url);
  const client = new pg.Client({ connectionString: url, types: { getTypeParser } });
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => undefined);
    throw new PostgresUnreachableError(`Cannot connect to ${redactPostgresUrl(url)}: ${(err as Error).message || String(err)}`);
  }
  return client;
}

/**
 * Every setting of a PostgreSQL schema, read before a server starts on it (none when its tables
 * do not exist yet). Throws PostgresUnreachableError when the server cannot be reached.
 */
export async function peekPostgresSettings(url: string): Promise<Map<string, string>> {
  const client = await connectPostgres(url);
  try {
    const rows = (await client.query<{ key: string; value: string }>('SELECT key, value FROM settings')).rows;
    return new Map(rows.map((r) => [r.key, r.value]));
  } catch (err) {
    if ((err as { code?: string }).code === '42P01') return new Map(); // no settings table: a new schema
    throw new PostgresError(`Cannot read the settings of ${redactPostgresUrl(url)}: ${(err as Error).message}`);
  } finally {
    await client.end().catch(() => undefined);
  }
}

const INT8_OID = 20;
function getTypeParser(oid: number, format?: 'text' | 'binary'): (value: string) => unknown {
  if (oid === INT8_OID && format !== 'binary') return parseSafeInteger;
  return pg.types.getTypeParser(oid, format) as (value: string) => unknown;
}

function parseSafeInteger(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new PostgresError(`A BIGINT value (${value}) is beyond JavaScript's safe integers.`);
  return n;
}

/**
 * Applies the migrations this version knows and the database lacks, each in its own transaction,
 * in the connection's current schema. Instances starting together take turns on an advisory lock
 * scoped to the schema, so each migration runs once. Returns how many ran. Refuses a schema
 * written by a newer version.
 */
export async function migratePostgres(client: pg.ClientBase): Promise<number> {
  await client.query(MIGRATION_SQL.lock);
  try {
    const schema = (await client.query<{ s: string | null }>('SELECT current_schema() AS s')).rows[0]?.s;
    if (!schema) throw new PostgresError('The connection has no schema to write to: its search_path names none that exists.');
    await client.query(MIGRATION_SQL.createTable);
    // Read as text: the caller's connection may parse BIGINT either way.
    const applied = (await client.query<{ version: string }>(MIGRATION_SQL.appliedAsText)).rows.map((r) => Number(r.version));
    const pending = pendingMigrations(applied);
    for (const m of pending) {
      await inTransaction(client, async () => {
        await client.query(m.postgres);
        await client.query(MIGRATION_SQL.record, migrationRecord(m));
      });
    }
    return pending.length;
  } finally {
    await client.query(MIGRATION_SQL.unlock);
  }
}

/** The migration history's statements on PostgreSQL, shared by the asynchronous and the synchronous migrator. */
export const MIGRATION_SQL = {
  lock: "SELECT pg_advisory_lock(hashtext('jiema.migrate:' || current_schema()))",
  unlock: "SELECT pg_advisory_unlock(hashtext('jiema.migrate:' || current_schema()))",
  createTable: 'CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)',
  appliedAsText: 'SELECT version::text AS version FROM schema_migrations',
  record: 'INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)',
} as const;

/** The migrations a schema with `applied` lacks, in order; refuses a schema written by a newer version. */
export function pendingMigrations(applied: readonly number[]): Migration[] {
  const known = Math.max(...MIGRATIONS.map((m) => m.version));
  const newest = Math.max(0, ...applied);
  if (newest > known)
    throw new PostgresError(
      `This database was written by a newer jiema (schema ${newest}; this one knows up to ${known}). Use that version.`,
    );
  const done = new Set(applied);
  return MIGRATIONS.filter((m) => !done.has(m.version));
}

/** The values of MIGRATION_SQL.record for one migration. */
export const migrationRecord = (m: Migration): [number, string, string] => [m.version, m.name, new Date().toISOString()];

/** Runs `fn` between BEGIN and COMMIT, or ROLLBACK when it throws. */
export async function inTransaction<T>(client: pg.ClientBase, fn: () => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    const result = await fn();
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}
