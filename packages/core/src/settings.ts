/**
 * Small durable settings kept in the database (the generated admin token, the demo user), so a
 * restarted server keeps them.
 */
import { writeTx, type Db } from './storage/database.js';

export function getSetting(db: Db, key: string): string | undefined {
  return db.prepare<[string], { value: string }>('SELECT value FROM settings WHERE key = ?').get(key)?.value;
}

export function setSetting(db: Db, key: string, value: string): void {
  writeTx(db, () => {
    db.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(key, value);
  });
}
