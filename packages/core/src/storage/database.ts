/**
 * Opens the SQLite database (better-sqlite3): WAL on files, synchronous FULL by default,
 * foreign keys on, and the numbered migrations applied. One connection is the single writer;
 * every write goes through `writeTx`, which uses BEGIN IMMEDIATE.
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATIONS } from './migrations.js';

export type Db = Database.Database;
export type SynchronousMode = 'OFF' | 'NORMAL' | 'FULL' | 'EXTRA';

export interface OpenDatabaseOptions {
  /** A file path, or ':memory:'. Parent folders of a file are created. */
  path: string;
  synchronous?: SynchronousMode;
}

export function openDatabase(options: OpenDatabaseOptions): Db {
  const memory = options.path === ':memory:';
  if (!memory) prepareFile(options.path);
  const db = new Database(options.path);
  if (!memory) db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${options.synchronous ?? 'FULL'}`);
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db);
  return db;
}

/**
 * A database file and its folder are private to the server's user (docs/decisions.md D45): a
 * folder we create is 0700, a file we create is 0600, and SQLite gives its -wal and -shm files the
 * database file's mode. An existing file readable by others (made by an older version) is
 * tightened to 0600 with its -wal and -shm.
 */
function prepareFile(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  if (!existsSync(path)) closeSync(openSync(path, 'a', 0o600));
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    try {
      if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
    } catch {
      // missing, or not ours to change: nothing to tighten
    }
  }
}

function migrate(db: Db): number {
  db.exec(
    'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL) STRICT',
  );
  const applied = new Set(db.prepare('SELECT version FROM schema_migrations').pluck().all() as number[]);
  let count = 0;
  for (const m of MIGRATIONS) {
    if (applied.has(m.version)) continue;
    writeTx(db, () => {
      db.exec(m.sqlite);
      db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, datetime('now'))").run(m.version, m.name);
    });
    count += 1;
  }
  return count;
}

/** Runs `fn` in a BEGIN IMMEDIATE transaction; nested calls join the outer transaction. */
export function writeTx<T>(db: Db, fn: () => T): T {
  if (db.inTransaction) return fn();
  return db.transaction(fn).immediate();
}

/**
 * A write transaction whose commit is not fsynced (WAL, synchronous=NORMAL for this commit only):
 * it survives a crash of this process — the WAL is in the OS's buffers — but not a power loss,
 * and the next synced commit makes it durable too. Only for records whose loss is harmless.
 */
const syncStmts = new WeakMap<
  Db,
  { read: Database.Statement<[], number>; normal: Database.Statement; restore: Map<number, Database.Statement> }
>();

export function writeTxUnsynced<T>(db: Db, fn: () => T): T {
  if (db.inTransaction) return fn();
  let stmts = syncStmts.get(db);
  if (!stmts) {
    stmts = {
      read: db.prepare<[], number>('PRAGMA synchronous').pluck(),
      normal: db.prepare('PRAGMA synchronous = NORMAL'),
      restore: new Map(),
    };
    syncStmts.set(db, stmts);
  }
  const level = stmts.read.get()!;
  if (level < 2) return writeTx(db, fn); // OFF or NORMAL already
  let restore = stmts.restore.get(level);
  if (!restore) {
    restore = db.prepare(`PRAGMA synchronous = ${level}`);
    stmts.restore.set(level, restore);
  }
  stmts.normal.run();
  try {
    return writeTx(db, fn);
  } finally {
    restore.run();
  }
}
