/**
 * The migration history on a real PostgreSQL server (docs/decisions.md D120–D122): it builds the
 * same tables, columns, indexes and guards as on SQLite; instances starting together run each
 * migration once; and the database itself refuses what the ledger invariants forbid.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { openDatabase, type Db } from '../src/storage/database.js';
import { MIGRATIONS } from '../src/storage/migrations.js';
import { connectPostgres, migratePostgres, PostgresError, PostgresUnreachableError } from '../src/storage/postgres/postgres.js';
import { createTestSchema, type TestSchema } from './postgres.js';

let t: TestSchema;
beforeEach(async () => {
  t = await createTestSchema();
});
afterEach(async () => {
  await t.drop();
});

const LATEST = Math.max(...MIGRATIONS.map((m) => m.version));

describe('migrations on PostgreSQL', () => {
  it('applies every migration once, and none on the next start', async () => {
    expect(await migratePostgres(t.client)).toBe(MIGRATIONS.length);
    expect(await migratePostgres(t.client)).toBe(0);
    const versions = (await t.client.query<{ version: string }>('SELECT version FROM schema_migrations ORDER BY version')).rows;
    expect(versions.map((r) => Number(r.version))).toEqual(MIGRATIONS.map((m) => m.version));
  });

  it('three instances starting at once run each migration exactly once', async () => {
    const clients = await Promise.all([1, 2, 3].map(() => connectPostgres(t.url)));
    try {
      const counts = await Promise.all(clients.map((c) => migratePostgres(c)));
      expect(counts.reduce((a, b) => a + b, 0)).toBe(MIGRATIONS.length);
      const n = (await t.client.query<{ n: string }>('SELECT COUNT(*) AS n FROM schema_migrations')).rows[0]!.n;
      expect(Number(n)).toBe(MIGRATIONS.length);
    } finally {
      await Promise.all(clients.map((c) => c.end()));
    }
  });

  it('refuses a schema written by a newer version', async () => {
    await migratePostgres(t.client);
    await t.client.query("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, 'from the future', 'x')", [LATEST + 1]);
    await expect(migratePostgres(t.client)).rejects.toThrow(/newer jiema \(schema \d+; this one knows up to \d+\)/);
  });

  it('cannot connect: a PostgresUnreachableError that names the server without its password', async () => {
    const err = await connectPostgres('postgres://someone:hunter2@127.0.0.1:1/nothing').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PostgresUnreachableError);
    expect((err as Error).message).toMatch(/^Cannot connect to postgres:\/\/someone:\*\*\*@127\.0\.0\.1:1\/nothing/);
    expect((err as Error).message).not.toContain('hunter2');
    await expect(connectPostgres('mysql://x')).rejects.toBeInstanceOf(PostgresError);
  });
});

describe('the same schema as SQLite', () => {
  let sqlite: Db;
  beforeEach(async () => {
    sqlite = openDatabase({ path: ':memory:' });
    await migratePostgres(t.client);
  });
  afterEach(() => sqlite.close());

  const sqliteTables = () =>
    sqlite
      .prepare<[], string>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
      .pluck()
      .all();

  it('the same tables, columns and NOT NULLs', async () => {
    const columns = await t.client.query<{ table_name: string; column_name: string; is_nullable: string; ordinal_position: number }>(
      'SELECT table_name, column_name, is_nullable, ordinal_position FROM information_schema.columns WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position',
    );
    const pgTables = [...new Set(columns.rows.map((r) => r.table_name))].sort();
    expect(pgTables).toEqual(sqliteTables());
    for (const table of sqliteTables()) {
      const info = sqlite.prepare<[], { name: string; notnull: number; pk: number }>(`PRAGMA table_info(${table})`).all();
      const theirs = columns.rows.filter((r) => r.table_name === table);
      expect(
        theirs.map((r) => r.column_name),
        table,
      ).toEqual(info.map((c) => c.name));
      for (const c of info) {
        const col = theirs.find((r) => r.column_name === c.name)!;
        // SQLite lets a non-INTEGER primary key hold NULL unless it says NOT NULL; PostgreSQL never does.
        const notNull = c.notnull === 1 || c.pk > 0;
        expect(col.is_nullable === 'NO', `${table}.${c.name}`).toBe(notNull);
      }
    }
  });

  it('the same indexes and guards', async () => {
    const sqliteIndexes = sqlite
      .prepare<[], string>("SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%' ORDER BY name")
      .pluck()
      .all();
    const pgIndexes = (
      await t.client.query<{ indexname: string }>('SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() ORDER BY indexname')
    ).rows.map((r) => r.indexname);
    for (const name of sqliteIndexes) expect(pgIndexes, name).toContain(name);
    const sqliteTriggers = sqlite.prepare<[], string>("SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name").pluck().all();
    const pgTriggers = (
      await t.client.query<{ tgname: string }>(
        'SELECT tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND NOT t.tgisinternal',
      )
    ).rows.map((r) => r.tgname);
    for (const name of sqliteTriggers) expect(pgTriggers, name).toContain(name);
  });
});

describe('the database refuses what the invariants forbid', () => {
  let c: pg.Client;
  beforeEach(async () => {
    c = t.client;
    await migratePostgres(c);
    await c.query(
      "INSERT INTO users (id, display_name, lang, referral_code, balance_cents, created_at) VALUES ('u1', 'A', 'en', 'r1', 500, 1)",
    );
    await c.query(
      "INSERT INTO ledger (id, user_id, kind, amount_cents, balance_after_cents, order_id, created_at) VALUES ('l1', 'u1', 'topup', 500, 500, NULL, 1)",
    );
    await c.query(
      "INSERT INTO orders (id, user_id, status, service, country, phone, activation_id, charged_cents, expires_at, created_at, updated_at) VALUES ('o1', 'u1', 'CANCELLED', 'tg', 6, '+628', 'a1', 20, 9, 1, 1)",
    );
    await c.query(
      "INSERT INTO ledger (id, user_id, kind, amount_cents, balance_after_cents, order_id, created_at) VALUES ('l2', 'u1', 'order_debit', -20, 480, 'o1', 2)",
    );
  });

  const refused = async (sql: string, pattern: RegExp) => {
    await expect(c.query(sql)).rejects.toThrow(pattern);
  };

  it('the ledger is append-only: no UPDATE, DELETE or TRUNCATE', async () => {
    await refused("UPDATE ledger SET amount_cents = 0 WHERE id = 'l1'", /ledger is append-only/);
    await refused("DELETE FROM ledger WHERE id = 'l1'", /ledger is append-only/);
    await refused('TRUNCATE ledger CASCADE', /ledger is append-only/);
  });

  it('a terminal order never changes and no order is deleted', async () => {
    await refused("UPDATE orders SET status = 'WAITING' WHERE id = 'o1'", /terminal orders never change/);
    await refused("DELETE FROM orders WHERE id = 'o1'", /orders are never deleted/);
  });

  it('no negative balance, one debit and one refund per order, integer cents', async () => {
    await refused("UPDATE users SET balance_cents = -1 WHERE id = 'u1'", /balance_cents_check/);
    await refused(
      "INSERT INTO ledger (id, user_id, kind, amount_cents, balance_after_cents, order_id, created_at) VALUES ('l3', 'u1', 'order_debit', -20, 460, 'o1', 3)",
      /ledger_one_debit_per_order/,
    );
    await c.query(
      "INSERT INTO ledger (id, user_id, kind, amount_cents, balance_after_cents, order_id, created_at) VALUES ('l4', 'u1', 'refund', 20, 500, 'o1', 3)",
    );
    await refused(
      "INSERT INTO ledger (id, user_id, kind, amount_cents, balance_after_cents, order_id, created_at) VALUES ('l5', 'u1', 'refund', 20, 520, 'o1', 4)",
      /ledger_one_refund_per_order/,
    );
    await refused(
      "INSERT INTO ledger (id, user_id, kind, amount_cents, balance_after_cents, created_at) VALUES ('l6', 'u1', 'topup', '1.5', 501, 5)",
      /invalid input syntax for type bigint/,
    );
    await refused(
      "INSERT INTO ledger (id, user_id, kind, amount_cents, balance_after_cents, created_at) VALUES ('l7', 'u1', 'gift', 1, 501, 5)",
      /ledger_kind_check/,
    );
  });

  it('one pricing rule per scope, a missing service or country counting as one scope', async () => {
    await c.query('INSERT INTO pricing_rules (service, country, markup_bps, floor_cents) VALUES (NULL, NULL, 100, 0)');
    await refused(
      'INSERT INTO pricing_rules (service, country, markup_bps, floor_cents) VALUES (NULL, NULL, 200, 0)',
      /pricing_rules_scope/,
    );
  });
});
