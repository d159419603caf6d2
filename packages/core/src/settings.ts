/**
 * Small durable settings kept in the database (the generated admin token, the demo user), so a
 * restarted server keeps them.
 */
import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { writeTx, type Db } from './storage/database.js';

export function getSetting(db: Db, key: string): string | undefined {
  return db.prepare<[string], { value: string }>('SELECT value FROM settings WHERE key = ?').get(key)?.value;
}

export function setSetting(db: Db, key: string, value: string): void {
  writeTx(db, () => {
    db.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value);
  });
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

export function deleteSetting(db: Db, key: string): void {
  writeTx(db, () => {
    db.prepare('DELETE FROM settings WHERE key = ?').run(key);
  });
}
