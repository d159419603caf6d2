/**
 * The ledger's storage (docs/decisions.md D4, D125): the append-only rows that record every
 * balance change, the user's cached balance they move, statements, and the queries the D4
 * invariants are checked with. Stores join the caller's transaction; the services decide where
 * transactions begin and end.
 */
import type { Db } from '../storage/database.js';
import { dialectOf, getLater } from '../storage/postgres/postgres-db.js';

export type LedgerKind = 'topup' | 'order_debit' | 'refund' | 'adjustment';

export interface LedgerEntry {
  id: string;
  userId: string;
  kind: LedgerKind;
  amountCents: number;
  balanceAfterCents: number;
  orderId: string | null;
  reason: string | null;
  createdAt: number;
}

/** An entry to append: the store fills in the balance it leaves. */
export type NewLedgerEntry = Omit<LedgerEntry, 'balanceAfterCents'>;

/** One order's rows of one kind, summed (for the D4 invariants). */
export interface OrderLedgerTotal {
  orderId: string;
  count: number;
  totalCents: number;
}

export interface LedgerStore {
  /** The user's cached balance in cents; undefined when there is no such user. */
  balanceOf(userId: string): number | undefined;
  /**
   * Moves the user's cached balance by `entry.amountCents` and appends `entry` with the balance
   * it leaves, both in the caller's transaction. The move is a conditional update: it applies
   * only while the balance stays between 0 and Number.MAX_SAFE_INTEGER, so two writers can never
   * take it below zero between them. Returns the appended entry, or undefined when it was refused
   * (no such user, or out of range); nothing is written then.
   */
  append(entry: NewLedgerEntry): LedgerEntry | undefined;
  /**
   * A debit (`entry.amountCents` below zero) whose outcome is read later (docs/decisions.md D127):
   * on PostgreSQL its two statements go with the caller's next round trip instead of costing one
   * of their own. There the balance's CHECK constraint (never below zero) refuses a debit too large,
   * rather than a conditional update: the refusal fails the round trip that carries it, inside the
   * caller's savepoint or transaction, which must then roll back; one such debit per savepoint,
   * since a refusal is told apart only by the constraint it broke. On SQLite it runs now, as
   * `append`. The function gives the appended entry, or undefined when it was refused (no such
   * user, or a balance too low); it throws the database's other errors.
   */
  appendDebitLater(entry: NewLedgerEntry): () => LedgerEntry | undefined;
  /** A user's statement, newest first; `before` an entry id (exclusive) for paging. */
  listByUser(userId: string, limit: number, before?: string): LedgerEntry[];
  /** An order's rows, oldest first. */
  listByOrder(orderId: string): LedgerEntry[];
  /** How many rows of one kind the ledger holds. */
  countByKind(kind: LedgerKind): number;

  // The D4 invariants' queries.
  /** Users whose cached balance is not the sum of their ledger rows. */
  balanceMismatches(): { userId: string; balanceCents: number; ledgerSumCents: number }[];
  /** Users with a balance below zero. */
  negativeBalances(): { userId: string; balanceCents: number }[];
  /** The rows of one kind per order: how many, and their sum. */
  totalsByOrder(kind: 'refund' | 'order_debit'): OrderLedgerTotal[];
  /** Every order's status and charge, which its ledger rows must agree with (read across aggregates). */
  orderCharges(): { orderId: string; status: string; chargedCents: number }[];
}

interface LedgerRow {
  id: string;
  user_id: string;
  kind: LedgerKind;
  amount_cents: number;
  balance_after_cents: number;
  order_id: string | null;
  reason: string | null;
  created_at: number;
}

export function toLedgerEntry(row: LedgerRow): LedgerEntry {
  return {
    id: row.id,
    userId: row.user_id,
    kind: row.kind,
    amountCents: row.amount_cents,
    balanceAfterCents: row.balance_after_cents,
    orderId: row.order_id,
    reason: row.reason,
    createdAt: row.created_at,
  };
}

export class SqliteLedgerStore implements LedgerStore {
  private readonly balanceStmt;
  private readonly moveStmt;
  private readonly insertStmt;
  private readonly listByUserStmt;
  private readonly listByOrderStmt;
  private readonly countByKindStmt;
  private readonly mismatchStmt;
  private readonly negativeStmt;
  private readonly totalsStmt;
  private readonly ordersStmt;
  /** PostgreSQL's deferred debit (see appendDebitLater); undefined on SQLite. */
  private readonly later;

  constructor(db: Db) {
    this.later =
      dialectOf(db) === 'postgres'
        ? {
            inTransaction: () => (db as unknown as { inTransaction: boolean }).inTransaction,
            debit: db.prepare('UPDATE users SET balance_cents = balance_cents + @amount WHERE id = @userId'),
            insert: db
              .prepare<[Record<string, unknown>], number>(
                `INSERT INTO ledger (id, user_id, kind, amount_cents, balance_after_cents, order_id, reason, created_at)
                 SELECT @id, id, @kind, CAST(@amount AS BIGINT), balance_cents, @orderId, @reason, CAST(@createdAt AS BIGINT)
                   FROM users WHERE id = @userId
                 RETURNING balance_after_cents`,
              )
              .pluck(),
          }
        : undefined;
    this.balanceStmt = db.prepare<[string], number>('SELECT balance_cents FROM users WHERE id = ?').pluck();
    this.moveStmt = db
      .prepare<[{ amount: number; userId: string }], number>(
        `UPDATE users SET balance_cents = balance_cents + @amount
          WHERE id = @userId AND balance_cents + @amount BETWEEN 0 AND ${Number.MAX_SAFE_INTEGER}
          RETURNING balance_cents`,
      )
      .pluck();
    this.insertStmt = db.prepare(
      'INSERT INTO ledger (id, user_id, kind, amount_cents, balance_after_cents, order_id, reason, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.listByUserStmt = db.prepare<[string, string, number], LedgerRow>(
      'SELECT * FROM ledger WHERE user_id = ? AND id < ? ORDER BY id DESC LIMIT ?',
    );
    this.listByOrderStmt = db.prepare<[string], LedgerRow>('SELECT * FROM ledger WHERE order_id = ? ORDER BY id');
    this.countByKindStmt = db.prepare<[LedgerKind], number>('SELECT COUNT(*) FROM ledger WHERE kind = ?').pluck();
    this.mismatchStmt = db.prepare<[], { id: string; balance_cents: number; sum: number }>(
      `SELECT u.id, u.balance_cents, COALESCE(SUM(l.amount_cents), 0) AS sum
         FROM users u LEFT JOIN ledger l ON l.user_id = u.id
        GROUP BY u.id HAVING u.balance_cents != COALESCE(SUM(l.amount_cents), 0)`,
    );
    this.negativeStmt = db.prepare<[], { id: string; balance_cents: number }>(
      'SELECT id, balance_cents FROM users WHERE balance_cents < 0',
    );
    this.totalsStmt = db.prepare<[string], { order_id: string; n: number; total: number }>(
      'SELECT order_id, COUNT(*) AS n, SUM(amount_cents) AS total FROM ledger WHERE kind = ? GROUP BY order_id',
    );
    this.ordersStmt = db.prepare<[], { id: string; status: string; charged_cents: number }>('SELECT id, status, charged_cents FROM orders');
  }

  balanceOf(userId: string): number | undefined {
    return this.balanceStmt.get(userId);
  }

  append(entry: NewLedgerEntry): LedgerEntry | undefined {
    const after = this.moveStmt.get({ amount: entry.amountCents, userId: entry.userId });
    if (after === undefined) return undefined;
    this.insertStmt.run(entry.id, entry.userId, entry.kind, entry.amountCents, after, entry.orderId, entry.reason, entry.createdAt);
    return { ...entry, balanceAfterCents: after };
  }

  appendDebitLater(entry: NewLedgerEntry): () => LedgerEntry | undefined {
    if (entry.amountCents >= 0) throw new RangeError('appendDebitLater takes debits only');
    if (!this.later) {
      const appended = this.append(entry);
      return () => appended;
    }
    // Outside a transaction the two statements would commit one by one.
    if (!this.later.inTransaction()) throw new Error('appendDebitLater must run inside a write transaction');
    this.later.debit.run({ amount: entry.amountCents, userId: entry.userId });
    const after = getLater(this.later.insert, { ...entry, amount: entry.amountCents });
    return () => {
      let balanceAfterCents: number | undefined;
      try {
        balanceAfterCents = after();
      } catch (err) {
        if (isBalanceRefusal(err)) return undefined;
        throw err;
      }
      return balanceAfterCents === undefined ? undefined : { ...entry, balanceAfterCents };
    };
  }

  listByUser(userId: string, limit: number, before?: string): LedgerEntry[] {
    return this.listByUserStmt.all(userId, before ?? '\uffff', limit).map(toLedgerEntry);
  }

  listByOrder(orderId: string): LedgerEntry[] {
    return this.listByOrderStmt.all(orderId).map(toLedgerEntry);
  }

  countByKind(kind: LedgerKind): number {
    return this.countByKindStmt.get(kind)!;
  }

  balanceMismatches(): { userId: string; balanceCents: number; ledgerSumCents: number }[] {
    return this.mismatchStmt.all().map((r) => ({ userId: r.id, balanceCents: r.balance_cents, ledgerSumCents: r.sum }));
  }

  negativeBalances(): { userId: string; balanceCents: number }[] {
    return this.negativeStmt.all().map((r) => ({ userId: r.id, balanceCents: r.balance_cents }));
  }

  totalsByOrder(kind: 'refund' | 'order_debit'): OrderLedgerTotal[] {
    return this.totalsStmt.all(kind).map((r) => ({ orderId: r.order_id, count: r.n, totalCents: r.total }));
  }

  orderCharges(): { orderId: string; status: string; chargedCents: number }[] {
    return this.ordersStmt.all().map((o) => ({ orderId: o.id, status: o.status, chargedCents: o.charged_cents }));
  }
}

/** PostgreSQL's refusal of a balance below zero: the users table's CHECK constraint (23514). */
function isBalanceRefusal(err: unknown): boolean {
  const e = err as { code?: unknown; constraint?: unknown } | null;
  return e?.code === '23514' && e.constraint === 'users_balance_cents_check';
}
