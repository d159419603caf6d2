/**
 * The latest moment a database records: its newest timestamp or id. A server started on it never
 * reports an earlier time, so ids and time-based order continue across a restart, even on a
 * machine whose clock is behind (docs/decisions.md D41).
 */
import { idTimestamp, type IdPrefix } from '../ports/ids.js';
import type { Db } from './database.js';
import { dialectOf } from './postgres/postgres-db.js';

const TIME_COLUMNS: ReadonlyArray<[table: string, column: string]> = [
  ['users', 'created_at'],
  ['api_keys', 'created_at'],
  ['api_keys', 'last_used_at'],
  ['orders', 'updated_at'],
  ['ledger', 'created_at'],
  ['outbox', 'created_at'],
  ['outbox', 'done_at'],
  ['buy_intents', 'started_at'],
  ['idempotency_keys', 'created_at'],
  ['events', 'created_at'],
  ['webhook_deliveries', 'last_attempt_at'],
];

const ID_COLUMNS: ReadonlyArray<[table: string, prefix: IdPrefix]> = [
  ['users', 'cl'],
  ['orders', 'ck'],
  ['api_keys', 'key'],
  ['ledger', 'led'],
  ['outbox', 'ob'],
  ['buy_intents', 'ob'],
  ['events', 'evt'],
  ['webhooks', 'wh'],
  ['webhook_deliveries', 'dlv'],
];

const tableExists = (db: Db, table: string): boolean =>
  db
    .prepare<[string], { one: number }>(
      dialectOf(db) === 'postgres'
        ? 'SELECT 1 AS one FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = ?'
        : "SELECT 1 AS one FROM sqlite_master WHERE type = 'table' AND name = ?",
    )
    .get(table) !== undefined;

/** The newest instant (ms) in the database's rows and ids, or undefined for an empty database. */
export function latestInstant(db: Db): { at: number | undefined; idAt: number | undefined } {
  let at: number | undefined;
  let idAt: number | undefined;
  const later = (a: number | undefined, b: number | null | undefined) =>
    b === null || b === undefined || (a !== undefined && a >= b) ? a : b;
  for (const [table, column] of TIME_COLUMNS) {
    if (!tableExists(db, table)) continue;
    at = later(at, db.prepare<[], number | null>(`SELECT MAX(${column}) FROM ${table}`).pluck().get());
  }
  for (const [table, prefix] of ID_COLUMNS) {
    if (!tableExists(db, table)) continue;
    const id = db.prepare<[], string | null>(`SELECT MAX(id) FROM ${table}`).pluck().get();
    if (id) idAt = later(idAt, idTimestamp(id, prefix));
  }
  return { at: later(at, idAt), idAt };
}
