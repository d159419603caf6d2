/**
 * One database file, one server (docs/decisions.md D43). A server holds an exclusive lock on a
 * small companion file (`<db>.lock`, an SQLite file in exclusive locking mode) for as long as it
 * runs; the operating system drops it when the process ends, even by SIGKILL, so a crash never
 * leaves a stale lock. A second server on the same file is refused with the holder's details,
 * which the holder records in the database's settings. Tools that only read, or that are meant
 * to run beside a server (`jiema seed`), do not take the lock.
 */
import { closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { systemClock } from '../ports/clock.js';
import Database from 'better-sqlite3';
import type { Db } from './database.js';
import type { PostgresDb } from './postgres/postgres-db.js';
import type { SettingsStore } from './settings-store.js';

export interface DatabaseHolder {
  pid: number;
  host: string;
  /** Where the holder serves, once it knows. */
  url?: string;
  startedAt: string;
}

export interface DatabaseLock {
  path: string;
  release(): void;
}

/** A second server on a database file another one holds. */
export class DatabaseLockedError extends Error {
  constructor(
    /** What is in use, by whom: "The database … is already in use by a jiema server (…)." */
    readonly inUse: string,
    readonly holder: DatabaseHolder | undefined,
  ) {
    super(`${inUse} Stop that server first, or give this one another database with --db.`);
    this.name = 'DatabaseLockedError';
  }
}

const lockPathFor = (dbPath: string): string => `${dbPath}.lock`;
const HOLDER_KEY = 'server_holder';

/** Takes the lock or throws DatabaseLockedError naming the holder (as the holder recorded it in the database). */
export function acquireDatabaseLock(dbPath: string): DatabaseLock {
  const path = lockPathFor(dbPath);
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  if (!existsSync(path)) closeSync(openSync(path, 'a', 0o600));
  let lock: Database.Database | undefined;
  try {
    lock = new Database(path, { timeout: 0 });
    lock.pragma('locking_mode = EXCLUSIVE');
    lock.pragma('journal_mode = MEMORY'); // no -journal file beside it
    // The first write takes the exclusive lock; in exclusive locking mode it is kept until close.
    lock.exec('BEGIN EXCLUSIVE; CREATE TABLE IF NOT EXISTS holder (pid INTEGER); COMMIT;');
  } catch (err) {
    lock?.close();
    if ((err as { code?: string }).code === 'SQLITE_BUSY') {
      const h = readHolderFromFile(dbPath);
      throw new DatabaseLockedError(`The database ${dbPath} is already in use by a jiema server (${describeHolder(h)}).`, h);
    }
    throw err;
  }
  let released = false;
  return {
    path,
    release() {
      if (released) return;
      released = true;
      lock.close();
    },
  };
}

const describeHolder = (h: DatabaseHolder | undefined): string =>
  h ? `pid ${h.pid} on ${h.host}${h.url ? `, serving ${h.url}` : ''}, since ${h.startedAt}` : 'another process';

/**
 * The same rule for a simulator on a PostgreSQL schema (its state outside the database — the fake
 * upstream, the virtual clock — lives in one process): an advisory lock on the simulator's own
 * connection, held while it runs. PostgreSQL drops it when that connection ends, even when the
 * process is killed, so a crash never leaves a stale lock. Engines opened on the schema's URL
 * (servers on a real upstream) hold the same lock shared: any number of them share a schema
 * (docs/decisions.md D127), but never with a simulator, whose fake orders would mix with theirs.
 */
const SCHEMA_LOCK = "hashtext('jiema.simulator:' || current_schema())";

/** Takes the schema's lock for a simulator alone, or throws DatabaseLockedError naming who has it. */
export function acquireSchemaLock(db: Db): DatabaseLock {
  const pg = db as unknown as PostgresDb;
  const row = pg.client.query<{ ok: number | boolean; schema: string }>(
    `SELECT pg_try_advisory_lock(${SCHEMA_LOCK}) AS ok, current_schema() AS schema`,
  ).rows[0]!;
  if (!row.ok) {
    // Shared holders only: servers on a real upstream; otherwise another simulator.
    const servers = pg.client.query<{ ok: number | boolean }>(`SELECT pg_try_advisory_lock_shared(${SCHEMA_LOCK}) AS ok`).rows[0]!.ok;
    if (servers) pg.client.query(`SELECT pg_advisory_unlock_shared(${SCHEMA_LOCK})`);
    const h = servers ? undefined : readDatabaseHolder(db);
    throw new DatabaseLockedError(
      servers
        ? `The schema "${row.schema}" of ${pg.name} is in use by jiema servers on a real upstream; a simulator needs a schema of its own.`
        : `The schema "${row.schema}" of ${pg.name} is already in use by a jiema simulator (${describeHolder(h)}).`,
      h,
    );
  }
  return schemaLock(pg, row.schema, 'pg_advisory_unlock');
}

/** The schema's lock, shared with the other servers on it: refused while a simulator holds it. */
export function shareSchemaLock(pg: PostgresDb): DatabaseLock {
  const row = pg.client.query<{ ok: number | boolean; schema: string }>(
    `SELECT pg_try_advisory_lock_shared(${SCHEMA_LOCK}) AS ok, current_schema() AS schema`,
  ).rows[0]!;
  if (!row.ok) {
    const h = readDatabaseHolder(pg.asDb());
    throw new DatabaseLockedError(`The schema "${row.schema}" of ${pg.name} is in use by a jiema simulator (${describeHolder(h)}).`, h);
  }
  return schemaLock(pg, row.schema, 'pg_advisory_unlock_shared');
}

function schemaLock(pg: PostgresDb, schema: string, unlock: string): DatabaseLock {
  let released = false;
  // Held again on a new session after a reconnect (a database restart or failover).
  pg.client.onEachSession(
    'schema-lock',
    `SELECT ${unlock === 'pg_advisory_unlock' ? 'pg_try_advisory_lock' : 'pg_try_advisory_lock_shared'}(${SCHEMA_LOCK})`,
  );
  return {
    path: `${pg.name} (schema ${schema})`,
    release() {
      if (released || !pg.open) return;
      released = true;
      try {
        pg.client.onEachSession('schema-lock', undefined);
        pg.client.query(`SELECT ${unlock}(${SCHEMA_LOCK})`);
      } catch {
        // the connection is gone, and the lock with it
      }
    },
  };
}

function readHolderFromFile(dbPath: string): DatabaseHolder | undefined {
  let db: Database.Database | undefined;
  try {
    db = new Database(dbPath, { readonly: true, fileMustExist: true, timeout: 1_000 });
    return readDatabaseHolder(db);
  } catch {
    return undefined;
  } finally {
    db?.close();
  }
}

function readDatabaseHolder(db: Db): DatabaseHolder | undefined {
  try {
    return parseHolder(db.prepare<[string], string>('SELECT value FROM settings WHERE key = ?').pluck().get(HOLDER_KEY));
  } catch {
    return undefined;
  }
}

function parseHolder(raw: string | undefined): DatabaseHolder | undefined {
  try {
    return raw ? (JSON.parse(raw) as DatabaseHolder) : undefined;
  } catch {
    return undefined;
  }
}

/** Records who holds the lock, for the error a second server shows (in the engine's settings store). */
export function recordDatabaseHolder(settings: SettingsStore, url?: string): void {
  const previous = parseHolder(settings.get(HOLDER_KEY));
  const holder: DatabaseHolder = {
    pid: process.pid,
    host: hostname(),
    ...(url && { url }),
    startedAt: previous?.pid === process.pid ? previous.startedAt : new Date(systemClock.now()).toISOString(),
  };
  settings.set(HOLDER_KEY, JSON.stringify(holder));
}
