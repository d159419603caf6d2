/**
 * Upstream activations as the database remembers them, across orders, owed upstream commands and
 * buy intents (docs/decisions.md D125). The simulator reads them when it starts on a database an
 * earlier run left: its fake upstream continues the numbering and takes the open ones back.
 */
import type { Sms } from '../order/order.js';
import type { Db } from './database.js';
import { dialectOf } from './postgres/postgres-db.js';

/** An activation still open at the upstream: a live order, or one whose upstream command is owed. */
export interface OpenActivation {
  activationId: string;
  phone: string;
  service: string;
  country: number;
  createdAt: number;
  status: string;
  smsHistory: Sms[];
}

export interface ActivationStore {
  /** The largest numeric activation id the database mentions, or 0. */
  highestNumericId(): number;
  open(): OpenActivation[];
}

export class SqliteActivationStore implements ActivationStore {
  constructor(private readonly db: Db) {}

  highestNumericId(): number {
    // SQLite's CAST reads the leading digits; PostgreSQL's refuses anything else, so it casts only all-digit ids.
    const numeric =
      dialectOf(this.db) === 'postgres'
        ? (table: string) => `SELECT MAX(CAST(activation_id AS NUMERIC)) AS n FROM ${table} WHERE activation_id ~ '^[0-9]{1,15}$'`
        : (table: string) => `SELECT MAX(CAST(activation_id AS INTEGER)) AS n FROM ${table} WHERE activation_id GLOB '[0-9]*'`;
    return (
      this.db
        .prepare<[], number | null>(
          `SELECT MAX(n) FROM (${numeric('orders')} UNION ALL ${numeric('outbox')} UNION ALL ${numeric('buy_intents')}) AS ids`,
        )
        .pluck()
        .get() ?? 0
    );
  }

  open(): OpenActivation[] {
    return this.db
      .prepare<
        [],
        { activation_id: string; phone: string; service: string; country: number; created_at: number; status: string; sms_history: string }
      >(
        `SELECT activation_id, phone, service, country, created_at, status, sms_history FROM orders
          WHERE status IN ('WAITING', 'RECEIVED')
             OR activation_id IN (SELECT activation_id FROM outbox WHERE done_at IS NULL)`,
      )
      .all()
      .map((r) => ({
        activationId: r.activation_id,
        phone: r.phone,
        service: r.service,
        country: r.country,
        createdAt: r.created_at,
        status: r.status,
        smsHistory: JSON.parse(r.sms_history) as Sms[],
      }));
  }
}
