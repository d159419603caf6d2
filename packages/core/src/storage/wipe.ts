/**
 * Empties a database in one transaction and keeps the file (the simulator's reset,
 * docs/decisions.md D43): every table but the migration record loses its rows, and settings keep
 * only the keys asked for (the admin token's digest, the facade key's). The append-only and
 * frozen-order triggers are dropped and recreated inside the same transaction, so they never stop
 * guarding the data outside it. Console sign-ins made with the admin token (which is kept) stay,
 * no longer viewing as a user; users' own sessions go with their users (docs/decisions.md D111).
 */
import { writeTx, type Db } from './database.js';

export function wipeData(db: Db, keepSettings: readonly string[]): void {
  writeTx(db, () => {
    // Rows reference each other; checked at commit, when none is left.
    db.pragma('defer_foreign_keys = ON');
    const triggers = db
      .prepare<[], { name: string; sql: string }>("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND sql IS NOT NULL")
      .all();
    for (const t of triggers) db.exec(`DROP TRIGGER ${JSON.stringify(t.name)}`);
    const tables = db
      .prepare<[], string>(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT IN ('schema_migrations', 'settings', 'console_sessions')",
      )
      .pluck()
      .all();
    for (const table of tables) db.exec(`DELETE FROM ${JSON.stringify(table)}`);
    const keep = db.prepare('DELETE FROM settings WHERE key NOT IN (SELECT value FROM json_each(?))');
    keep.run(JSON.stringify(keepSettings));
    db.exec("DELETE FROM console_sessions WHERE kind = 'user'; UPDATE console_sessions SET user_id = NULL WHERE kind = 'operator'");
    for (const t of triggers) db.exec(t.sql);
  });
}
