/**
 * Small durable settings kept in the database (the generated admin token, the demo user), so a
 * restarted server keeps them.
 */
import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { writeTx, type Db } from './database.js';

/** Small durable key/value settings (the admin token's hash, the demo user, catalogue overrides). */
export interface SettingsStore {
  get(key: string): string | undefined;
  set(key: string, value: string): void;
  delete(key: string): void;
  /** Sets the key only when it has no value yet (atomically, whoever else writes), and returns the value it holds. */
  claim(key: string, value: string): string;
}

export class SqliteSettingsStore implements SettingsStore {
  private readonly getStmt;
  private readonly setStmt;
  private readonly deleteStmt;
  private readonly claimStmt;

  constructor(private readonly db: Db) {
    this.getStmt = db.prepare<[string], string>('SELECT value FROM settings WHERE key = ?').pluck();
    this.setStmt = db.prepare<[string, string]>(
      'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    );
    this.deleteStmt = db.prepare<[string]>('DELETE FROM settings WHERE key = ?');
    this.claimStmt = db.prepare<[string, string]>('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING');
  }

  claim(key: string, value: string): string {
    return writeTx(this.db, () => {
      this.claimStmt.run(key, value);
      return this.getStmt.get(key) ?? value;
    });
  }

  get(key: string): string | undefined {
    return this.getStmt.get(key);
  }

  set(key: string, value: string): void {
    writeTx(this.db, () => this.setStmt.run(key, value));
  }

  delete(key: string): void {
    writeTx(this.db, () => this.deleteStmt.run(key));
  }
}

/**
 * Every setting of a database file, read without locking or migrating it (it may be a running
 * server's, or not a jiema database at all: then there are none).
 */
export function peekSettings(dbPath: string | null): Map<string, string> {
  const out = new Map<string, string>();
  if (dbPath === null || !existsSync(dbPath)) return out;
  let db: Database.Database | undefined;
  try {
    db = new Database(dbPath, { readonly: true, fileMustExist: true, timeout: 2_000 });
    for (const r of db.prepare<[], { key: string; value: string }>('SELECT key, value FROM settings').all()) out.set(r.key, r.value);
  } catch {
    // an empty or foreign file: no settings yet
  } finally {
    db?.close();
  }
  return out;
}
