/**
 * Backups and restores of a database file (docs/decisions.md D104). A backup is SQLite's online
 * backup, read from its own connection: it never needs the server's lock, and the pages are
 * copied in one read transaction, so a backup taken while the server writes is one consistent
 * moment of it. A restore replaces the file only while no server holds it (it takes the lock
 * itself), and keeps the database it replaces beside it.
 */
import { chmodSync, closeSync, existsSync, openSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { acquireDatabaseLock } from './database-lock.js';
import { MIGRATIONS } from './migrations.js';

export interface DatabaseSummary {
  bytes: number;
  /** The newest migration it has. */
  schemaVersion: number;
  users: number;
  orders: number;
  ledgerRows: number;
  /** The latest moment it records (ms), or null for an empty one. */
  latestAt: number | null;
}

/** A backup or restore that cannot go ahead: a message for the operator. */
export class BackupError extends Error {
  override name = 'BackupError';
}

/** Checks that a file is an intact jiema database this version can run, and summarises it. */
function inspectDatabaseFile(path: string): DatabaseSummary {
  if (!existsSync(path)) throw new BackupError(`${path} does not exist.`);
  let db: Database.Database | undefined;
  try {
    // Read-write, though it only reads: a read-only connection cannot open a WAL database whose -shm is missing.
    db = new Database(path, { fileMustExist: true, timeout: 5_000 });
    const check = db.prepare<[], string>('PRAGMA integrity_check').pluck().all();
    if (check.length !== 1 || check[0] !== 'ok') throw new BackupError(`${path} is damaged: ${check.slice(0, 3).join('; ')}`);
    const tables = new Set(db.prepare<[], string>("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all());
    for (const t of ['schema_migrations', 'users', 'orders', 'ledger', 'settings'])
      if (!tables.has(t)) throw new BackupError(`${path} is not a jiema database (it has no ${t} table).`);
    const version = db.prepare<[], number>('SELECT MAX(version) FROM schema_migrations').pluck().get() ?? 0;
    const known = Math.max(...MIGRATIONS.map((m) => m.version));
    if (version > known)
      throw new BackupError(`${path} was written by a newer jiema (schema ${version}; this one knows up to ${known}). Use that version.`);
    const count = (table: string) => db!.prepare<[], number>(`SELECT COUNT(*) FROM ${table}`).pluck().get()!;
    const latestAt =
      db
        .prepare<[], number | null>(
          'SELECT MAX(t) FROM (SELECT MAX(created_at) AS t FROM ledger UNION ALL SELECT MAX(updated_at) FROM orders)',
        )
        .pluck()
        .get() ?? null;
    return {
      bytes: statSync(path).size,
      schemaVersion: version,
      users: count('users'),
      orders: count('orders'),
      ledgerRows: count('ledger'),
      latestAt,
    };
  } catch (err) {
    if (err instanceof BackupError) throw err;
    throw new BackupError(`${path} is not a readable SQLite database (${(err as Error).message}).`);
  } finally {
    db?.close();
  }
}

/**
 * Copies the database at `source` into `destination` (a new file, mode 0600) while servers may be
 * using it, and checks the copy. Refuses to overwrite a file unless `overwrite`.
 */
export async function backupDatabase(source: string, destination: string, options: { overwrite?: boolean } = {}): Promise<DatabaseSummary> {
  if (!existsSync(source)) throw new BackupError(`There is no database at ${source}; name it with --db.`);
  if (existsSync(destination) && !options.overwrite)
    throw new BackupError(`${destination} already exists; choose another name, or pass --force to replace it.`);
  const tmp = join(dirname(destination), `.${basename(destination)}.${process.pid}.partial`);
  // Created 0600 before SQLite opens it: the copy holds key digests and every balance.
  closeSync(openSync(tmp, 'w', 0o600));
  let src: Database.Database | undefined;
  try {
    // Read-write, though it only reads (see inspectDatabaseFile); it never takes the server's lock.
    src = new Database(source, { fileMustExist: true, timeout: 5_000 });
    // After the first step, every remaining page in one step: one read transaction, one moment.
    await src.backup(tmp, { progress: () => Number.MAX_SAFE_INTEGER });
    src.close();
    src = undefined;
    // The copy stands alone: no -wal beside it, and journal mode set back to the default.
    const copy = new Database(tmp);
    copy.pragma('journal_mode = DELETE');
    copy.close();
    chmodSync(tmp, 0o600);
    const summary = inspectDatabaseFile(tmp);
    renameSync(tmp, destination);
    return summary;
  } catch (err) {
    rmSync(tmp, { force: true });
    if (err instanceof BackupError) throw err;
    throw new BackupError(`The backup of ${source} failed: ${(err as Error).message}`);
  } finally {
    src?.close();
  }
}

export interface RestoreResult extends DatabaseSummary {
  /** Where the database that was replaced is kept, or null when there was none. */
  previous: string | null;
}

/**
 * Replaces the database at `dbPath` with the backup at `backup`. Refuses (DatabaseLockedError)
 * while a server holds it. The replaced database, with its -wal, is kept as
 * `<db>.before-restore-<time>`.
 */
export async function restoreDatabase(backup: string, dbPath: string, now: Date = new Date()): Promise<RestoreResult> {
  const summary = inspectDatabaseFile(backup);
  const lock = acquireDatabaseLock(dbPath);
  const tmp = join(dirname(dbPath), `.${basename(dbPath)}.${process.pid}.restoring`);
  try {
    closeSync(openSync(tmp, 'w', 0o600));
    const src = new Database(backup, { fileMustExist: true });
    try {
      await src.backup(tmp, { progress: () => Number.MAX_SAFE_INTEGER });
    } finally {
      src.close();
    }
    const restored = new Database(tmp);
    restored.pragma('journal_mode = WAL');
    restored.close();
    chmodSync(tmp, 0o600);
    let previous: string | null = null;
    if (existsSync(dbPath)) {
      previous = `${dbPath}.before-restore-${now.toISOString().replace(/[:.]/g, '-')}`;
      // The replaced database with its write-ahead log: committed work may still be only there.
      for (const suffix of ['', '-wal', '-shm']) if (existsSync(dbPath + suffix)) renameSync(dbPath + suffix, previous + suffix);
    }
    renameSync(tmp, dbPath);
    return { ...summary, previous };
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  } finally {
    lock.release();
  }
}
