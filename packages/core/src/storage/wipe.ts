/**
 * Empties a database in one transaction and keeps the file (the simulator's reset,
 * docs/decisions.md D43): every table but the migration record loses its rows, and settings keep
 * only the keys asked for (the admin token's digest, the facade key's). The append-only and
 * frozen-order triggers are dropped and recreated inside the same transaction, so they never stop
 * guarding the data outside it. Console sign-ins made with the admin token (which is kept) stay,
 * no longer viewing as a user; users' own sessions go with their users (docs/decisions.md D111).
 */
import { writeTx, type Db } from './database.js';
import { dialectOf, jsonValues, type PostgresDb } from './postgres/postgres-db.js';

export function wipeData(db: Db, keepSettings: readonly string[]): void {
  if (dialectOf(db) === 'postgres') return wipePostgres(db, keepSettings);
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

/**
 * PostgreSQL: the guard triggers are disabled for the transaction's own length (ALTER TABLE is
 * transactional, and holds the table until commit), and tables are emptied children first: a
 * DELETE a foreign key refuses is rolled back to its savepoint and tried again after the others.
 */
function wipePostgres(db: Db, keepSettings: readonly string[]): void {
  const { tx } = db as unknown as PostgresDb;
  tx.write(() => {
    const tables = db
      .prepare<[], string>(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND table_name NOT IN ('schema_migrations', 'settings', 'console_sessions') ORDER BY table_name",
      )
      .pluck()
      .all();
    const quoted = (t: string) => `"${t.replace(/"/g, '""')}"`;
    for (const t of tables) db.exec(`ALTER TABLE ${quoted(t)} DISABLE TRIGGER USER`);
    db.prepare(`DELETE FROM settings WHERE key NOT IN (${jsonValues(db)})`).run(JSON.stringify(keepSettings));
    db.exec("DELETE FROM console_sessions WHERE kind = 'user'; UPDATE console_sessions SET user_id = NULL WHERE kind = 'operator'");
    let left = tables;
    while (left.length > 0) {
      const refused: string[] = [];
      for (const t of left) {
        try {
          tx.savepoint(() => db.exec(`DELETE FROM ${quoted(t)}`));
        } catch {
          refused.push(t);
        }
      }
      if (refused.length === left.length) throw new Error(`Cannot empty ${refused.join(', ')}: rows elsewhere still refer to them.`);
      left = refused;
    }
    for (const t of tables) db.exec(`ALTER TABLE ${quoted(t)} ENABLE TRIGGER USER`);
  });
}
