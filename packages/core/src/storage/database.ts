/**
 * Opens the SQLite database (better-sqlite3): WAL on files, synchronous FULL by default,
 * foreign keys on, and the numbered migrations applied. One connection is the single writer;
 * every write goes through `writeTx`, which uses BEGIN IMMEDIATE.
 */
import { mkdirSync } from 'node:fs';
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
  if (!memory) mkdirSync(dirname(options.path), { recursive: true });
  const db = new Database(options.path);
  if (!memory) db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${options.synchronous ?? 'FULL'}`);
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db);
  return db;
}

export function migrate(db: Db): number {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL) STRICT');
  const applied = new Set(db.prepare('SELECT version FROM schema_migrations').pluck().all() as number[]);
  let count = 0;
  for (const m of MIGRATIONS) {
    if (applied.has(m.version)) continue;
    writeTx(db, () => {
      db.exec(m.sql);
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
