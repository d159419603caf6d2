/**
 * Moves a jiema SQLite database into PostgreSQL (`jiema migrate --from x.db --to postgres://…`,
 * docs/decisions.md D123). The SQLite file is held with the server's own lock, so no server
 * writes to it meanwhile, and is read from a consistent copy brought to this version's schema; the
 * file itself is never changed. The target gets the migration history first and must hold no
 * jiema data. Every row is copied in one PostgreSQL transaction, which commits only after the copy
 * is checked: the same number of rows in every table, the same ledger and balance totals, and the
 * ledger invariant (each user's balance is the sum of their ledger) on the PostgreSQL side.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { backupDatabase, BackupError } from '../backup.js';
import { acquireDatabaseLock } from '../database-lock.js';
import { openDatabase, type Db } from '../database.js';
import { connectPostgres, inTransaction, migratePostgres, PostgresError } from './postgres.js';

export interface CopyTableResult {
  table: string;
  rows: number;
}

export interface CopyToPostgresResult {
  schemaVersion: number;
  tables: CopyTableResult[];
  /** Sum of every user's balance, in cents, on both sides. */
  balanceCents: number;
  ms: number;
}

export interface CopyToPostgresOptions {
  /** The SQLite database file. */
  from: string;
  /** The PostgreSQL URL. */
  to: string;
  /** Called after each table is copied. */
  onTable?: (result: CopyTableResult) => void;
}

/** Rows per INSERT: well under PostgreSQL's 65,535 parameters for the widest table. */
const BATCH_ROWS = 500;

export async function copySqliteToPostgres(options: CopyToPostgresOptions): Promise<CopyToPostgresResult> {
  const started = Date.now();
  if (!existsSync(options.from)) throw new BackupError(`There is no database at ${options.from}; name it with --from.`);
  const lock = acquireDatabaseLock(options.from);
  const work = mkdtempSync(join(tmpdir(), 'jiema-migrate-'));
  let source: Db | undefined;
  let client: pg.Client | undefined;
  try {
    // A consistent copy, brought to this version's migrations: the operator's file is not touched.
    const snapshot = join(work, 'snapshot.db');
    await backupDatabase(options.from, snapshot);
    source = openDatabase({ path: snapshot, synchronous: 'OFF' });
    client = await connectPostgres(options.to);
    await migratePostgres(client);
    await checkVersions(source, client);
    const order = tablesInCopyOrder(source);
    await refuseIfNotEmpty(client, order);
    const src = source;
    const c = client;
    const tables = await inTransaction(c, async () => {
      const results: CopyTableResult[] = [];
      for (const table of order) {
        const rows = await copyTable(src, c, table);
        const result = { table, rows };
        results.push(result);
        options.onTable?.(result);
      }
      await resetIdentities(c);
      await verify(src, c, results);
      return results;
    });
    const balanceCents = src.prepare<[], number>('SELECT COALESCE(SUM(balance_cents), 0) FROM users').pluck().get()!;
    const schemaVersion = src.prepare<[], number>('SELECT MAX(version) FROM schema_migrations').pluck().get()!;
    return { schemaVersion, tables, balanceCents, ms: Date.now() - started };
  } catch (err) {
    if (err instanceof BackupError || err instanceof PostgresError) throw err;
    const pgCode = (err as { code?: unknown }).code;
    const detail = typeof pgCode === 'string' ? ` (PostgreSQL error ${pgCode})` : '';
    throw new PostgresError(`The copy into PostgreSQL failed and nothing was written there: ${(err as Error).message}${detail}`);
  } finally {
    source?.close();
    await client?.end().catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
    lock.release();
  }
}

/** Every table but the migration record, each after the tables it references. */
function tablesInCopyOrder(db: Db): string[] {
  const names = db
    .prepare<[], string>(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'schema_migrations' ORDER BY name",
    )
    .pluck()
    .all();
  const refs = new Map(
    names.map((n) => [
      n,
      db
        .prepare<[], { table: string }>(`PRAGMA foreign_key_list(${quote(n)})`)
        .all()
        .map((r) => r.table),
    ]),
  );
  const ordered: string[] = [];
  const visit = (name: string, path: string[]) => {
    if (ordered.includes(name)) return;
    if (path.includes(name)) throw new PostgresError(`The tables reference each other in a cycle: ${[...path, name].join(' → ')}.`);
    for (const r of refs.get(name) ?? []) if (r !== name && names.includes(r)) visit(r, [...path, name]);
    ordered.push(name);
  };
  for (const n of names) visit(n, []);
  return ordered;
}

async function checkVersions(source: Db, client: pg.ClientBase): Promise<void> {
  const mine = source.prepare<[], number>('SELECT version FROM schema_migrations ORDER BY version').pluck().all();
  const theirs = (await client.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version')).rows.map(
    (r) => r.version,
  );
  if (mine.join(',') !== theirs.join(','))
    throw new PostgresError(
      `The two databases have different migration histories (SQLite ${mine.join(',')}; PostgreSQL ${theirs.join(',')}).`,
    );
}

async function refuseIfNotEmpty(client: pg.ClientBase, tables: string[]): Promise<void> {
  const held: string[] = [];
  for (const t of tables) {
    const n = (await client.query<{ n: number }>(`SELECT COUNT(*)::bigint AS n FROM ${quote(t)}`)).rows[0]!.n;
    if (n > 0) held.push(`${t}: ${n}`);
  }
  if (held.length > 0)
    throw new PostgresError(
      `The PostgreSQL database already holds jiema data (${held.join(', ')}); migrate into an empty database or schema, so nothing is mixed or overwritten.`,
    );
}

async function copyTable(source: Db, client: pg.ClientBase, table: string): Promise<number> {
  const columns = source
    .prepare<[], { name: string }>(`PRAGMA table_info(${quote(table)})`)
    .all()
    .map((c) => c.name);
  const select = source.prepare<[], Record<string, unknown>>(`SELECT ${columns.map(quote).join(', ')} FROM ${quote(table)} ORDER BY rowid`);
  let batch: unknown[][] = [];
  let rows = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    const params: unknown[] = [];
    const tuples = batch.map((row) => `(${row.map((v) => (params.push(v), `$${params.length}`)).join(', ')})`);
    await client.query(`INSERT INTO ${quote(table)} (${columns.map(quote).join(', ')}) VALUES ${tuples.join(', ')}`, params);
    rows += batch.length;
    batch = [];
  };
  for (const row of select.iterate()) {
    batch.push(columns.map((c) => toPostgres(row[c])));
    if (batch.length >= BATCH_ROWS) await flush();
  }
  await flush();
  return rows;
}

function toPostgres(value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (Buffer.isBuffer(value)) throw new PostgresError('A column holds binary data, which no jiema table has; is this a jiema database?');
  return value;
}

/** Identity columns continue after the copied rows. */
async function resetIdentities(client: pg.ClientBase): Promise<void> {
  const identities = await client.query<{ table_name: string; column_name: string }>(
    "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema() AND is_identity = 'YES'",
  );
  for (const { table_name: t, column_name: c } of identities.rows) {
    await client.query(
      `SELECT setval(pg_get_serial_sequence($1, $2), COALESCE((SELECT MAX(${quote(c)}) FROM ${quote(t)}), 0) + 1, false)`,
      [quote(t), c],
    );
  }
}

async function verify(source: Db, client: pg.ClientBase, tables: CopyTableResult[]): Promise<void> {
  for (const { table, rows } of tables) {
    const there = (await client.query<{ n: number }>(`SELECT COUNT(*)::bigint AS n FROM ${quote(table)}`)).rows[0]!.n;
    const here = source
      .prepare<[], number>(`SELECT COUNT(*) FROM ${quote(table)}`)
      .pluck()
      .get()!;
    if (there !== here || rows !== here) throw new PostgresError(`${table}: ${here} row(s) in SQLite but ${there} in PostgreSQL.`);
  }
  const totals =
    'SELECT (SELECT COALESCE(SUM(balance_cents), 0) FROM users) AS balances, (SELECT COALESCE(SUM(amount_cents), 0) FROM ledger) AS ledger';
  const here = source.prepare<[], { balances: number; ledger: number }>(totals).get()!;
  // SUM over BIGINT is NUMERIC in PostgreSQL: cast back, so it reads as a number.
  const there = (
    await client.query<{ balances: number; ledger: number }>(
      'SELECT (SELECT COALESCE(SUM(balance_cents), 0)::bigint FROM users) AS balances, (SELECT COALESCE(SUM(amount_cents), 0)::bigint FROM ledger) AS ledger',
    )
  ).rows[0]!;
  if (Number(there.balances) !== here.balances || Number(there.ledger) !== here.ledger)
    throw new PostgresError(
      `The totals differ: balances ${here.balances} vs ${there.balances} cents, ledger ${here.ledger} vs ${there.ledger} cents.`,
    );
  const off = await client.query<{ id: string }>(
    'SELECT u.id FROM users u LEFT JOIN (SELECT user_id, SUM(amount_cents) AS s FROM ledger GROUP BY user_id) l ON l.user_id = u.id WHERE u.balance_cents <> COALESCE(l.s, 0) LIMIT 3',
  );
  if (off.rows.length > 0)
    throw new PostgresError(
      `The ledger invariant does not hold for ${off.rows.map((r) => r.id).join(', ')}: a balance differs from the sum of its ledger. Check the SQLite database (GET /admin/v1/invariants) first.`,
    );
}

function quote(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}
